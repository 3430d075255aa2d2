package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.runtime.dev.NodeProcess;
import io.starfish.sharding.internal.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real node JVM, started the way ./starfish dev starts it, is killed with SIGKILL after its
 * writes were acknowledged; a new node process on the same ports serves the same state.
 */
@ExtendWith(TestCassandra.class)
class NodeCrashIT {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Path LOGS =
      Path.of(System.getProperty("starfish.test.work-dir", "target/it-work")).resolve("logs");

  private NodeProcess node;

  @AfterEach
  void stopNode() {
    if (node != null && node.isAlive()) {
      node.terminate();
      if (!node.awaitExit(Duration.ofSeconds(30))) {
        node.kill();
      }
    }
  }

  private NodeProcess startNode(int remotePort, int httpPort, String logName) {
    NodeProcess started =
        NodeProcess.start(
            1,
            remotePort,
            httpPort,
            "127.0.0.1:" + remotePort,
            TestCassandra.instance().contactPoint(),
            256,
            LOGS.resolve(logName));
    Awaitility.await("node on port " + httpPort + " ready (log " + LOGS.resolve(logName) + ")")
        .atMost(90, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> started.isAlive() && status(httpPort, "/health/ready") == 200);
    return started;
  }

  private static int status(int port, String path) {
    try {
      return CLIENT
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Sends a command with an idempotency key and, like a client, sends it again with the same key
   * while the answer is 503 (e.g. the entity's first recovery on a just-started node takes longer
   * than the ask timeout). The key makes a retried command apply once; the versions checked below
   * prove it.
   */
  private static JsonNode post(int port, String path, String json, String idempotencyKey)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", idempotencyKey)
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build();
    return sendUntilNot503(request, idempotencyKey);
  }

  /**
   * Reads an entity and, like a client, reads again while the answer is 503 (the entity's first
   * recovery on the just-restarted node can take longer than the ask timeout: CI, 2026-11-23).
   */
  private static JsonNode get(int port, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    return sendUntilNot503(request, "GET " + path);
  }

  /**
   * Sends {@code request} again while the answer is 503 (the contract's "retry later"), for up to
   * 60 s, as a client would; the first other answer must be 200. Returns its body.
   */
  private static JsonNode sendUntilNot503(HttpRequest request, String what) throws Exception {
    AtomicReference<HttpResponse<String>> answer = new AtomicReference<>();
    Awaitility.await("an answer other than 503 to " + what)
        .atMost(60, TimeUnit.SECONDS)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              HttpResponse<String> response =
                  CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
              if (response.statusCode() == 503) {
                System.out.println("[crash-it] 503 for " + what + ": " + response.body());
                return false;
              }
              answer.set(response);
              return true;
            });
    HttpResponse<String> response = answer.get();
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.MAPPER.readTree(response.body());
  }

  @Test
  void acknowledgedWritesSurviveAKill9OfTheNodeProcess() throws Exception {
    int remotePort = TestCassandra.freePort();
    int httpPort = TestCassandra.freePort();
    String account = "/api/v1/entities/account/crash-1";

    node = startNode(remotePort, httpPort, "crash-node-first.log");
    long expectedBalance = 0;
    for (int i = 1; i <= 20; i++) {
      post(httpPort, account, "{\"type\":\"deposit\",\"amount\":" + i + "}", "deposit-" + i);
      expectedBalance += i;
    }
    long pid = node.pid();

    node.kill(); // SIGKILL: no shutdown hooks, no graceful leave
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(status(httpPort, "/health/alive")).isEqualTo(-1);

    node = startNode(remotePort, httpPort, "crash-node-second.log");
    assertThat(node.pid()).isNotEqualTo(pid);
    JsonNode state = get(httpPort, account);
    assertThat(state.get("version").asLong()).isEqualTo(20);
    assertThat(state.get("state").get("balance").asLong()).isEqualTo(expectedBalance);

    JsonNode next = post(httpPort, account, "{\"type\":\"withdraw\",\"amount\":10}", "withdraw-1");
    assertThat(next.get("version").asLong()).isEqualTo(21);
    assertThat(next.get("state").get("balance").asLong()).isEqualTo(expectedBalance - 10);
  }
}
