package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.http.TlsContexts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.ServiceDiscovery;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where Cluster Bootstrap gets its contact points: a static list, the Kubernetes API or DNS, chosen
 * by starfish.node keys. The Kubernetes and DNS methods cannot be exercised here (no API server, no
 * SRV records); this checks that each is wired and loads.
 */
class BootstrapDiscoveryTest {

  private static final String METHOD =
      "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method";
  private static final String SERVICE =
      "pekko.management.cluster.bootstrap.contact-point-discovery.service-name";

  private static Config node(String overrides) {
    return StarfishNode.withStaticContactPoints(
        ConfigFactory.parseString("starfish.node.join = bootstrap\n" + overrides)
            .withFallback(ConfigFactory.parseResources("node.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve());
  }

  @Test
  void withoutContactPointsTheKubernetesApiIsTheDefault() {
    Config config = node("");
    assertThat(config.getString(METHOD)).isEqualTo("kubernetes-api");
    assertThat(config.getString(SERVICE)).isEqualTo("starfish");
  }

  @Test
  void dnsAndItsServiceNameComeFromStarfishKeys() {
    Config config =
        node(
            "starfish.node.discovery-method = pekko-dns\n"
                + "starfish.node.discovery-service-name ="
                + " \"_management._tcp.starfish.prod.svc.cluster.local\"");
    assertThat(config.getString(METHOD)).isEqualTo("pekko-dns");
    assertThat(config.getString(SERVICE))
        .isEqualTo("_management._tcp.starfish.prod.svc.cluster.local");
  }

  @Test
  void aStaticListReplacesTheMethod() {
    Config config =
        node(
            "starfish.node.discovery-method = pekko-dns\n"
                + "starfish.node.contact-points = \"10.0.0.1:8558,10.0.0.2:8558\"");
    assertThat(config.getString(METHOD)).isEqualTo("config");
    assertThat(config.getConfigList("pekko.discovery.config.services.starfish.endpoints"))
        .hasSize(2);
  }

  @Test
  void theKubernetesAndDnsMethodsLoad(@TempDir Path dir) throws Exception {
    // What Kubernetes mounts into a pod: the API server's CA, a token and the namespace.
    Path keystore = TlsContexts.ensureSelfSigned(dir.resolve("ca.p12"), "changeit");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(keystore)) {
      store.load(in, "changeit".toCharArray());
    }
    Certificate ca = store.getCertificate(store.aliases().nextElement());
    Path caFile = dir.resolve("ca.crt");
    Files.writeString(
        caFile,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(ca.getEncoded())
            + "\n-----END CERTIFICATE-----\n");
    Files.writeString(dir.resolve("token"), "test-token");
    Files.writeString(dir.resolve("namespace"), "test");
    Config config =
        ConfigFactory.parseString(
                "pekko.discovery.kubernetes-api {\n"
                    + "  api-ca-path = \""
                    + caFile
                    + "\"\n  api-token-path = \""
                    + dir.resolve("token")
                    + "\"\n  pod-namespace-path = \""
                    + dir.resolve("namespace")
                    + "\"\n}")
            .withFallback(node(""));
    ActorSystem system = ActorSystem.create("BootstrapDiscoveryTest", config);
    try {
      Discovery discovery = Discovery.get(system);
      ServiceDiscovery kubernetes = discovery.loadServiceDiscovery("kubernetes-api");
      assertThat(kubernetes.getClass().getName())
          .isEqualTo("org.apache.pekko.discovery.kubernetes.KubernetesApiServiceDiscovery");
      ServiceDiscovery dns = discovery.loadServiceDiscovery("pekko-dns");
      assertThat(dns.getClass().getName())
          .isEqualTo("org.apache.pekko.discovery.dns.DnsServiceDiscovery");
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }
}
