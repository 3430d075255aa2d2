package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The node's Cassandra keys become the driver's contact points and NTS replication. */
class CassandraConfigTest {

  private static Config node(String overrides) {
    return CassandraConfig.apply(
        ConfigFactory.parseString(overrides)
            .withFallback(ConfigFactory.parseResources("cassandra.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve());
  }

  @Test
  void theDefaultIsOneLocalNodeWithOneReplica() {
    Config config = node("");
    assertThat(config.getStringList("datastax-java-driver.basic.contact-points"))
        .containsExactly("127.0.0.1:9042");
    assertThat(config.getString("pekko.persistence.cassandra.journal.replication-strategy"))
        .isEqualTo("NetworkTopologyStrategy");
    assertThat(
            config.getStringList(
                "pekko.persistence.cassandra.journal.data-center-replication-factors"))
        .containsExactly("datacenter1:1");
  }

  @Test
  void aRingOfThreeWithReplicationFactorThree() {
    Config config =
        node(
            "starfish.cassandra.contact-points = \"127.0.0.1:9042, 127.0.0.2:9042,127.0.0.3:9042\"\n"
                + "starfish.cassandra.replication-factor = 3\n"
                + "starfish.cassandra.local-datacenter = dc-east");
    assertThat(config.getStringList("datastax-java-driver.basic.contact-points"))
        .containsExactly("127.0.0.1:9042", "127.0.0.2:9042", "127.0.0.3:9042");
    assertThat(
            config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"))
        .isEqualTo("dc-east");
    for (String store : new String[] {"journal", "snapshot"}) {
      String path = "pekko.persistence.cassandra." + store;
      assertThat(config.getString(path + ".replication-strategy"))
          .isEqualTo("NetworkTopologyStrategy");
      assertThat(config.getStringList(path + ".data-center-replication-factors"))
          .containsExactly("dc-east:3");
    }
  }

  @Test
  void malformedValuesAreRefusedWithTheKeyNamed() {
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \"127.0.0.1\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("starfish.cassandra.contact-points")
        .hasMessageContaining("not host:port");
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \"a:9042,b:99999\""))
        .hasMessageContaining("\"b:99999\" is not host:port");
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \" , \""))
        .hasMessageContaining("contact-points is empty");
    assertThatThrownBy(() -> node("starfish.cassandra.replication-factor = 0"))
        .hasMessageContaining("replication-factor must be at least 1");
  }

  @Test
  void loginAndTlsBecomeTheDriversAuthProviderAndSslEngineFactory() throws Exception {
    Path truststore = Files.createTempFile("truststore", ".p12");
    try {
      Config config =
          node(
              "starfish.cassandra.username = starfish\n"
                  + "starfish.cassandra.password = s3cret\n"
                  + "starfish.cassandra.tls.enabled = on\n"
                  + "starfish.cassandra.tls.truststore = \""
                  + truststore
                  + "\"\n"
                  + "starfish.cassandra.tls.truststore-password = changeit");
      String auth = "datastax-java-driver.advanced.auth-provider.";
      assertThat(config.getString(auth + "class")).isEqualTo("PlainTextAuthProvider");
      assertThat(config.getString(auth + "username")).isEqualTo("starfish");
      assertThat(config.getString(auth + "password")).isEqualTo("s3cret");
      String tls = "datastax-java-driver.advanced.ssl-engine-factory.";
      assertThat(config.getString(tls + "class")).isEqualTo("DefaultSslEngineFactory");
      assertThat(config.getString(tls + "truststore-path")).isEqualTo(truststore.toString());
      assertThat(config.getString(tls + "truststore-password")).isEqualTo("changeit");
      assertThat(config.getBoolean(tls + "hostname-validation")).isTrue();
    } finally {
      Files.delete(truststore);
    }
  }

  @Test
  void withoutLoginOrTlsTheDriverGetsNeither() {
    Config config = node("");
    assertThat(config.hasPath("datastax-java-driver.advanced.auth-provider.class")).isFalse();
    assertThat(config.hasPath("datastax-java-driver.advanced.ssl-engine-factory.class")).isFalse();
  }

  @Test
  void halfALoginOrAMissingTruststoreIsRefused() {
    assertThatThrownBy(() -> node("starfish.cassandra.username = starfish"))
        .hasMessageContaining("username and starfish.cassandra.password must be set together");
    assertThatThrownBy(
            () ->
                node(
                    "starfish.cassandra.tls.enabled = on\n"
                        + "starfish.cassandra.tls.truststore = /no/such/truststore.p12"))
        .hasMessageContaining("cannot read \"/no/such/truststore.p12\"");
  }
}
