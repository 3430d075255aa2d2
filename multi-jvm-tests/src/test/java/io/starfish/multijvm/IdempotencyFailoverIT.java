package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.internal.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Idempotency keys across a crash: commands acknowledged through one node are retried, with the
 * same keys, through another node after the first was killed with SIGKILL. Each applies once and
 * the retry gets the original answer, also for the entities that lived on the killed node and were
 * recovered elsewhere (the key records are in their journals, not in a node's memory).
 */
@ExtendWith(TestCassandra.class)
class IdempotencyFailoverIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  // Failover takes about 5 s here (docs/cluster.md); the deadline allows for a loaded CI box.
  private static final Duration RETRY_DEADLINE = Duration.ofSeconds(60);

  private ForkedCluster cluster;

  @org.junit.jupiter.api.extension.RegisterExtension
  final org.junit.jupiter.api.extension.TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  @AfterEach
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aRetryThroughASurvivorAfterTheFirstNodeWasKilledAppliesOnceAndGetsTheOriginalAnswer()
      throws Exception {
    cluster = new ForkedCluster("idempotency", 3, Map.of(), 256);
    cluster.start(START_TIMEOUT);
    Node first = cluster.node(2);
    Node survivor = cluster.node(3);

    Map<String, JsonNode> originals = new LinkedHashMap<>();
    for (int i = 0; i < 24; i++) {
      String id = "idem-" + i;
      // Right after the cluster starts an entity may not answer within the ask timeout (503);
      // a client retries with the same key, which is safe: the first attempt may have been
      // applied, and then the retry gets its outcome.
      HttpResponse<String> response = retryUntilAnswered(first, id, 10 + i);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      originals.put(id, Json.MAPPER.readTree(response.body()));
    }
    // The same key sent again to the same node: the original answer, nothing applied.
    HttpResponse<String> again =
        cluster.post(first, path("idem-0"), deposit(10), "deposit-idem-0", Duration.ofSeconds(10));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(Json.MAPPER.readTree(again.body())).isEqualTo(originals.get("idem-0"));

    Map<String, String> homes = cluster.shardHomes(survivor, "account");
    List<String> onFirst =
        originals.keySet().stream()
            .filter(id -> first.address().equals(homes.get(ForkedCluster.shardOf(id))))
            .toList();
    assertThat(onFirst).as("accounts hosted by the node to be killed").isNotEmpty();

    cluster.kill(first);

    for (String id : originals.keySet()) {
      HttpResponse<String> retry =
          retryUntilAnswered(survivor, id, 10 + Integer.parseInt(id.substring(5)));
      assertThat(retry.statusCode()).as("retry of %s: %s", id, retry.body()).isEqualTo(200);
      assertThat(retry.headers().firstValue("Idempotent-Replayed"))
          .as("retry of %s", id)
          .hasValue("true");
      assertThat(Json.MAPPER.readTree(retry.body())).as(id).isEqualTo(originals.get(id));

      JsonNode state =
          Json.MAPPER.readTree(cluster.get(survivor, path(id), Duration.ofSeconds(10)).body());
      assertThat(state.get("version").asLong()).as("events of %s", id).isEqualTo(1);
      assertThat(state.get("state").get("balance").asLong())
          .as("balance of %s (hosted by the killed node: %s)", id, onFirst.contains(id))
          .isEqualTo(10 + Integer.parseInt(id.substring(5)));
    }

    // A new key is a new command.
    HttpResponse<String> fresh =
        cluster.post(
            survivor, path("idem-0"), deposit(10), "deposit-idem-0-b", Duration.ofSeconds(10));
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertThat(Json.MAPPER.readTree(fresh.body()).get("version").asLong()).isEqualTo(2);
  }

  /** Sends the retry until the entity answers (it may be moving to a survivor just now). */
  private HttpResponse<String> retryUntilAnswered(Node via, String id, long amount) {
    AtomicReference<HttpResponse<String>> answer = new AtomicReference<>();
    ForkedCluster.await(
        "an answer to the retry of " + id,
        RETRY_DEADLINE,
        () -> {
          try {
            HttpResponse<String> response =
                cluster.post(
                    via, path(id), deposit(amount), "deposit-" + id, Duration.ofSeconds(5));
            if (response.statusCode() == 503) {
              return false; // entity moving: retry, as a client would after Retry-After
            }
            answer.set(response);
            return true;
          } catch (IOException e) {
            return false; // timeout while its shard is reallocated
          }
        });
    return answer.get();
  }

  private static String path(String id) {
    return "/api/v1/entities/account/" + id;
  }

  private static String deposit(long amount) {
    return "{\"type\":\"deposit\",\"amount\":" + amount + "}";
  }
}
