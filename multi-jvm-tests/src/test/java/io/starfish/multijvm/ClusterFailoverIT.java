package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.internal.Json;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three real node JVMs; the oldest one (leader, and host of the shard coordinator) hosts some
 * accounts and is killed with SIGKILL. Its entities are restarted on the survivors by
 * remember-entities (before anyone asks for them) and answer with every acknowledged deposit.
 */
@ExtendWith(TestCassandra.class)
class ClusterFailoverIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  // Detection (heartbeat-interval + acceptable-heartbeat-pause, about 2 s) + stable-after (10 s
  // here: the kill comes within the resolver's 60 s warm-up window after the cluster formed) +
  // removal and down-removal-margin (under 1 s) + recovery: about 14 s on an idle machine. The
  // deadline allows for a loaded CI box; the benchmark, not this test, measures the time.
  private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(45);

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

  /**
   * A keyed deposit, sent again with the same key while the answer is 503 (allowed by the contract,
   * e.g. an entity's first start on a just-formed cluster taking longer than the ask timeout) or no
   * answer, as a client would; the key makes it apply once.
   */
  private HttpResponse<String> depositUntilAnswered(Node via, String id, long amount, String key)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        HttpResponse<String> response =
            cluster.post(
                via,
                "/api/v1/entities/account/" + id,
                "{\"type\":\"deposit\",\"amount\":" + amount + "}",
                key,
                Duration.ofSeconds(10));
        if (response.statusCode() != 503 || System.nanoTime() > deadline) {
          return response;
        }
        System.out.println(
            "[failover-it] 503 for " + key + ", sending it again: " + response.body());
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  @Test
  void entitiesOfAKilledNodeAnswerFromSurvivorsWithEveryAcknowledgedEvent() throws Exception {
    cluster = new ForkedCluster("failover", 3, Map.of(), 256);
    cluster.start(START_TIMEOUT);
    List<Node> nodes = cluster.nodes();
    Node victim = cluster.node(1);

    // Acknowledged deposits, through every node.
    Map<String, Long> balances = new LinkedHashMap<>();
    Map<String, Long> versions = new HashMap<>();
    Random random = new Random(42);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 30; i++) {
        String id = "failover-" + i;
        long amount = 1 + random.nextInt(100);
        Node via = nodes.get((i + round) % 3);
        HttpResponse<String> response =
            depositUntilAnswered(via, id, amount, "failover-" + round + "-" + i);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        balances.merge(id, amount, Long::sum);
        versions.merge(id, 1L, Long::sum);
      }
    }

    // Which of them live on the victim, by the cluster's own shard view.
    Map<String, String> homes = cluster.shardHomes(cluster.node(2), "account");
    List<String> onVictim =
        balances.keySet().stream()
            .filter(id -> victim.address().equals(homes.get(ForkedCluster.shardOf(id))))
            .toList();
    assertThat(onVictim).as("accounts hosted by %s (shard homes %s)", victim, homes).isNotEmpty();

    cluster.kill(victim);

    Node survivor = cluster.node(2);
    // remember-entities: the victim's shards come back on survivors with their entities started,
    // before any request for them.
    ForkedCluster.await(
        "the victim's shards restarted on survivors with their entities",
        FAILOVER_DEADLINE,
        () -> {
          Map<String, String> now = cluster.shardHomes(survivor, "account");
          return onVictim.stream()
              .map(ForkedCluster::shardOf)
              .allMatch(
                  shard -> now.containsKey(shard) && !victim.address().equals(now.get(shard)));
        });
    JsonNode shards = cluster.getJson(survivor, "/api/v1/cluster/shards").orElseThrow();
    for (String id : onVictim) {
      String shard = ForkedCluster.shardOf(id);
      String home = cluster.shardHomes(survivor, "account").get(shard);
      assertThat(shards.path("account").path(home).path("shards").path(shard).asInt())
          .as("entities started in shard %s on %s", shard, home)
          .isPositive();
    }

    for (String id : balances.keySet()) {
      for (Node node : List.of(cluster.node(2), cluster.node(3))) {
        HttpResponse<String> response =
            cluster.get(node, "/api/v1/entities/account/" + id, Duration.ofSeconds(10));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("state").get("balance").asLong())
            .as("balance of %s through %s", id, node)
            .isEqualTo(balances.get(id));
        assertThat(body.get("version").asLong()).isEqualTo(versions.get(id));
      }
    }
    // The two survivors agree that the victim is gone.
    ForkedCluster.await(
        "survivors see exactly each other",
        FAILOVER_DEADLINE,
        () ->
            cluster.upMembers(cluster.node(2)).size() == 2
                && cluster.upMembers(cluster.node(3)).size() == 2
                && !cluster.upMembers(cluster.node(3)).contains(victim.address()));
  }
}
