package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin API: bearer-token checks, and a leave that really shuts the node down. */
class AdminRoutesTest {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private ActorTestKit testKit;
  private ActorTestKit peerKit;

  @AfterEach
  void stop() {
    if (peerKit != null) {
      peerKit.shutdownTestKit();
    }
    testKit.shutdownTestKit();
  }

  private static ActorTestKit node(boolean testMode) {
    return ActorTestKit.create(
        "AdminRoutesTest",
        ConfigFactory.parseString(
            "pekko.actor.provider = cluster\n"
                + "pekko.remote.artery.canonical.port = 0\n"
                + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                + "pekko.remote.artery.advanced.test-mode = "
                + (testMode ? "on" : "off")
                + "\n"
                + "pekko.cluster.failure-detector.heartbeat-interval = 200 ms\n"
                + "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 1 s\n"));
  }

  /** The crash requests the routes passed on, as "type/id". */
  private final java.util.List<String> crashed = new java.util.concurrent.CopyOnWriteArrayList<>();

  private ServerBinding start(Optional<String> token) throws Exception {
    return start(token, false);
  }

  private ServerBinding start(Optional<String> token, boolean testMode) throws Exception {
    testKit = node(testMode);
    HttpSettings settings =
        new HttpSettings(
            "127.0.0.1", 0, Duration.ofSeconds(1), 1024, 1, token, Duration.ofSeconds(1));
    return StarfishHttpServer.bind(
            testKit.system(),
            new AdminRoutes(
                    testKit.system(),
                    settings,
                    (type, id) -> {
                      if (!type.equals("account")) {
                        return false;
                      }
                      crashed.add(type + "/" + id);
                      return true;
                    })
                .route(),
            settings)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<String> leave(ServerBinding binding, String authorization)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + binding.localAddress().getPort() + "/api/v1/admin/leave"))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void withoutATokenTheAnswerIs401AndWithAWrongOne403() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"));

    HttpResponse<String> none = leave(binding, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(none.body()).contains("urn:starfish:problem:unauthorized");

    HttpResponse<String> wrong = leave(binding, "Bearer guess");
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(wrong.body()).contains("wrong token for the admin API").doesNotContain("s3cret");
    assertThat(testKit.system().whenTerminated().isCompleted()).isFalse();
  }

  @Test
  void whenNoTokenIsConfiguredTheAdminApiIsClosed() throws Exception {
    ServerBinding binding = start(Optional.empty());
    HttpResponse<String> response = leave(binding, "Bearer anything");
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).contains("admin-token is not set");
  }

  @Test
  void leaveWithTheTokenAnswers202AndShutsTheNodeDownThroughCoordinatedShutdown() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> cluster.selfMember().status() == MemberStatus.up());

    HttpResponse<String> response = leave(binding, "Bearer s3cret");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    assertThat(response.body()).contains("\"status\":\"leaving\"");
    testKit.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(org.apache.pekko.actor.CoordinatedShutdown.get(testKit.system()).getShutdownReason())
        .contains(org.apache.pekko.actor.CoordinatedShutdown.clusterLeavingReason());
  }

  private static HttpResponse<String> crash(ServerBinding binding, String path, String token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void crashOfAnEntityIsPassedOnWithTheTokenAndRefusedWithoutOrForBadInput() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"));

    HttpResponse<String> ok = crash(binding, "/api/v1/admin/entities/account/a-1/crash", "s3cret");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
    assertThat(ok.body()).contains("\"status\":\"crash requested\"");

    HttpResponse<String> noToken = crash(binding, "/api/v1/admin/entities/account/a-2/crash", null);
    assertThat(noToken.statusCode()).isEqualTo(401);
    HttpResponse<String> unknown =
        crash(binding, "/api/v1/admin/entities/nosuch/a-3/crash", "s3cret");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    HttpResponse<String> badId =
        crash(binding, "/api/v1/admin/entities/account/bad%20id/crash", "s3cret");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("invalid-id");

    assertThat(crashed).containsExactly("account/a-1");
  }

  private static HttpResponse<String> partition(
      ServerBinding binding, String method, String contentType, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + binding.localAddress().getPort()
                        + "/api/v1/admin/partition"))
            .header("Authorization", "Bearer s3cret")
            .header("Content-Type", contentType)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void partitionWithoutArteryTestModeIsRefusedWith409() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"));
    HttpResponse<String> response =
        partition(
            binding,
            "POST",
            "application/json",
            "{\"peers\":[\"pekko://AdminRoutesTest@127.0.0.1:1\"]}");
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(response.body())
        .contains("urn:starfish:problem:partition-unavailable")
        .contains("test-mode");
  }

  @Test
  void partitionRefusesBadPeersWith400AndChangesNothing() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"), true);
    String self = Cluster.get(testKit.system()).selfMember().address().toString();
    for (String body :
        new String[] {
          "not json",
          "{}",
          "{\"peers\":[]}",
          "{\"peers\":\"pekko://AdminRoutesTest@127.0.0.1:1\"}",
          "{\"peers\":[42]}",
          "{\"peers\":[\"no address\"]}",
          "{\"peers\":[\"pekko://AdminRoutesTest\"]}",
          "{\"peers\":[\"" + self + "\"]}"
        }) {
      HttpResponse<String> response = partition(binding, "POST", "application/json", body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(response.body()).as(body).contains("urn:starfish:problem:invalid-request");
    }
    assertThat(partition(binding, "POST", "text/plain", "{}").statusCode()).isEqualTo(415);
    HttpResponse<String> healed = partition(binding, "DELETE", "application/json", null);
    assertThat(healed.statusCode()).isEqualTo(200);
    assertThat(healed.body()).contains("\"healed\":[]");
  }

  @Test
  void partitionCutsTheClusterTrafficToAPeerUntilItIsHealed() throws Exception {
    ServerBinding binding = start(Optional.of("s3cret"), true);
    peerKit = node(true);
    Cluster self = Cluster.get(testKit.system());
    Cluster peer = Cluster.get(peerKit.system());
    self.manager().tell(new Join(self.selfMember().address()));
    peer.manager().tell(new Join(self.selfMember().address()));
    Awaitility.await("two Up members")
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                self.state().members().size() == 2
                    && peer.selfMember().status() == MemberStatus.up());
    String peerAddress = peer.selfMember().address().toString();

    HttpResponse<String> cut =
        partition(binding, "POST", "application/json", "{\"peers\":[\"" + peerAddress + "\"]}");
    assertThat(cut.statusCode()).as(cut.body()).isEqualTo(200);
    assertThat(cut.body()).contains("\"cut\":[\"" + peerAddress + "\"]");
    // Both sides stop hearing each other's heartbeats: each marks the other unreachable.
    Awaitility.await("each side sees the other unreachable")
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                self.state().getUnreachable().stream()
                        .anyMatch(m -> m.address().equals(peer.selfMember().address()))
                    && peer.state().getUnreachable().stream()
                        .anyMatch(m -> m.address().equals(self.selfMember().address())));

    HttpResponse<String> healed = partition(binding, "DELETE", "application/json", null);
    assertThat(healed.statusCode()).isEqualTo(200);
    assertThat(healed.body()).contains(peerAddress);
    Awaitility.await("reachable again after the heal")
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                self.state().getUnreachable().isEmpty() && peer.state().getUnreachable().isEmpty());
  }
}
