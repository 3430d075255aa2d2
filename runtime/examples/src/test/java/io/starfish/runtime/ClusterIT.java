package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three Starfish nodes in this JVM form one cluster on a real Cassandra: every entity is reachable
 * through every node's HTTP API, and an entity's state survives the loss of the node that hosted it
 * (the node is downed and stopped; its shards move to the survivors).
 */
@ExtendWith(TestCassandra.class)
class ClusterIT {

  /**
   * The three nodes share this JVM (its GC pauses and its share of a busy 2-core machine), and a
   * stall of all three during start-up once looked like a partition to the 1 s heartbeat pause.
   * This test is about routing and state surviving the loss of a node, not about detection time
   * (ClusterFailoverIT and the failover benchmark cover that, with one JVM per node).
   */
  private static final String IN_ONE_JVM =
      "starfish.sharding.passivate-idle-after = off\n"
          + "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 3s\n";

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    for (TestNode node : nodes) {
      if (!node.system().whenTerminated().isCompleted()) {
        node.close();
      }
    }
  }

  private static int upMembers(TestNode node) {
    int up = 0;
    for (var member : Cluster.get(node.system()).state().getMembers()) {
      up += member.status() == org.apache.pekko.cluster.MemberStatus.up() ? 1 : 0;
    }
    return up;
  }

  /**
   * A keyed deposit, sent again with its key while the node answers 503: an entity's first start on
   * a just-formed cluster can outlast the ask timeout on a loaded machine. The key keeps it applied
   * once, so the balances below still prove each deposit counted exactly once.
   */
  private static HttpResponse<String> depositUntilAnswered(TestNode via, String id, long amount)
      throws Exception {
    java.net.http.HttpRequest request =
        java.net.http.HttpRequest.newBuilder(via.uri("/api/v1/entities/account/" + id))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "deposit-" + id)
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    "{\"type\":\"deposit\",\"amount\":" + amount + "}"))
            .build();
    List<HttpResponse<String>> last = new ArrayList<>();
    Awaitility.await(id + " answering its deposit")
        .atMost(60, TimeUnit.SECONDS)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              last.clear();
              last.add(via.send(request));
              return last.get(0).statusCode() != 503;
            });
    return last.get(0);
  }

  private static long balance(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return EntityJson.MAPPER.readTree(response.body()).get("state").get("balance").asLong();
  }

  @Test
  void entitiesAnswerThroughEveryNodeAndSurviveTheLossOfTheirNode() throws Exception {
    int[] ports = {TestCassandra.freePort(), TestCassandra.freePort(), TestCassandra.freePort()};
    String seeds = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    for (int port : ports) {
      nodes.add(TestNode.start(port, seeds, IN_ONE_JVM));
    }
    Awaitility.await("three Up members")
        .atMost(60, TimeUnit.SECONDS)
        .until(() -> nodes.stream().allMatch(n -> upMembers(n) == 3));
    // Every node names the same oldest member (the one hosting the shard coordinators).
    java.util.Set<String> oldest = new java.util.HashSet<>();
    for (TestNode node : nodes) {
      oldest.add(
          EntityJson.MAPPER.readTree(node.get("/api/v1/cluster").body()).get("oldest").asText());
    }
    assertThat(oldest).hasSize(1);
    assertThat(
            nodes.stream()
                .map(n -> Cluster.get(n.system()).selfMember().address().toString())
                .toList())
        .contains(oldest.iterator().next());

    Map<String, Long> expected = new LinkedHashMap<>();
    for (int i = 0; i < 24; i++) {
      String id = "cluster-it-" + i;
      TestNode via = nodes.get(i % 3);
      HttpResponse<String> response = depositUntilAnswered(via, id, i + 1);
      expected.put(id, balance(response));
      assertThat(expected.get(id)).isEqualTo(i + 1);
    }
    // Any node serves any entity.
    for (String id : expected.keySet()) {
      for (TestNode node : nodes) {
        assertThat(balance(node.get("/api/v1/entities/account/" + id)))
            .as("%s through %s", id, node.uri(""))
            .isEqualTo(expected.get(id));
      }
    }

    // The node hosting the most account shards is lost: downed by a survivor, then stopped.
    JsonNode shards =
        EntityJson.MAPPER
            .readTree(nodes.get(0).get("/api/v1/cluster/shards").body())
            .get("account");
    String victimAddress = null;
    int most = -1;
    for (var entry : shards.properties()) {
      if (entry.getValue().get("entityCount").asInt() > most) {
        most = entry.getValue().get("entityCount").asInt();
        victimAddress = entry.getKey();
      }
    }
    assertThat(most).as("the victim hosts entities").isPositive();
    TestNode victim = null;
    for (TestNode node : nodes) {
      if (Cluster.get(node.system()).selfMember().address().toString().equals(victimAddress)) {
        victim = node;
      }
    }
    assertThat(victim).isNotNull();
    List<TestNode> survivors = new ArrayList<>(nodes);
    survivors.remove(victim);
    Address lost = Cluster.get(victim.system()).selfMember().address();
    Cluster.get(survivors.get(0).system()).manager().tell(new Down(lost));
    victim.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

    for (String id : expected.keySet()) {
      for (TestNode node : survivors) {
        Awaitility.await(id + " answers through a survivor")
            .atMost(30, TimeUnit.SECONDS)
            .pollInterval(Duration.ofMillis(200))
            .until(() -> node.get("/api/v1/entities/account/" + id).statusCode() == 200);
        assertThat(balance(node.get("/api/v1/entities/account/" + id)))
            .as("%s after the loss of %s", id, lost)
            .isEqualTo(expected.get(id));
      }
    }
    // And they keep taking writes, with versions continuing from the journal.
    HttpResponse<String> after =
        survivors
            .get(1)
            .post("/api/v1/entities/account/cluster-it-0", "{\"type\":\"deposit\",\"amount\":5}");
    assertThat(balance(after)).isEqualTo(expected.get("cluster-it-0") + 5);
    assertThat(EntityJson.MAPPER.readTree(after.body()).get("version").asLong()).isEqualTo(2);
  }
}
