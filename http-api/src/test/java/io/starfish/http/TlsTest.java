package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with the generated dev certificate: served, and trusted only by a client told to. */
class TlsTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("TlsTest");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void theApiIsServedOverHttpsWithAGeneratedSelfSignedCertificate(@TempDir Path dir)
      throws Exception {
    Path keystore = dir.resolve("tls/dev.p12");
    HttpSettings settings =
        new HttpSettings(
                "127.0.0.1",
                0,
                Duration.ofSeconds(1),
                1024,
                1,
                Optional.empty(),
                Duration.ofSeconds(1))
            .withTls(new HttpSettings.Tls(true, "", "test-pass", keystore.toString()));
    ServerBinding binding =
        StarfishHttpServer.bind(
                testKit.system(), new HealthRoutes(List.of(), settings).route(), settings)
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    try {
      assertThat(keystore).exists();
      URI alive =
          URI.create("https://127.0.0.1:" + binding.localAddress().getPort() + "/health/alive");

      HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(keystore)).build();
      HttpResponse<String> response =
          trusting.send(
              HttpRequest.newBuilder(alive).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.uri().getScheme()).isEqualTo("https");

      // A client with the default trust store refuses the self-signed certificate.
      HttpClient ordinary = HttpClient.newHttpClient();
      assertThatThrownBy(
              () ->
                  ordinary.send(
                      HttpRequest.newBuilder(alive).build(), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class);

      // A second start reuses the same certificate.
      long size = Files.size(keystore);
      byte[] before = Files.readAllBytes(keystore);
      TlsContexts.ensureSelfSigned(keystore, "test-pass");
      assertThat(Files.size(keystore)).isEqualTo(size);
      assertThat(Files.readAllBytes(keystore)).isEqualTo(before);
    } finally {
      binding.terminate(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static SSLContext trusting(Path keystore) throws Exception {
    KeyStore server = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      server.load(in, "test-pass".toCharArray());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("starfish-dev", server.getCertificate("starfish"));
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }
}
