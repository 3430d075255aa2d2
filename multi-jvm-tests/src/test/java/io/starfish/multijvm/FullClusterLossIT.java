package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The whole cluster is lost at once (every node killed, as after the split-brain resolver's
 * down-all, when every node downs itself and exits), and a supervisor (the dev launcher,
 * Kubernetes) starts a replacement for each, all with the same configuration as a restarted node in
 * a running cluster. Cluster Bootstrap must let them form one cluster again by themselves (no node
 * is told "you are first"), and every entity must answer with its acknowledged state.
 *
 * <p>Before Cluster Bootstrap, replacements were started with join-existing-only (so that a
 * restarted seed never forms a second cluster beside a running one) and after a full loss none of
 * them formed a cluster, ever.
 */
@ExtendWith(TestCassandra.class)
class FullClusterLossIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final int ACCOUNTS = 12;

  private ForkedCluster cluster;

  @RegisterExtension
  final TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  @AfterEach
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void replacementsOfEveryNodeFormOneClusterAgainAndEveryEntityAnswers() throws Exception {
    // Four slots: three form the cluster, the fourth joins it at the end.
    cluster = new ForkedCluster("full-loss", 4, Map.of(), 256);
    List<Node> first = cluster.nodes().subList(0, 3);
    cluster.start(START_TIMEOUT, 3);

    // Acknowledged deposits through every node, each with its own key.
    Map<String, Long> acknowledged = new LinkedHashMap<>();
    for (int i = 0; i < ACCOUNTS; i++) {
      String account = "loss-" + i;
      long balance = 0;
      for (int d = 1; d <= 3; d++) {
        Node via = first.get((i + d) % 3);
        long amount = 10L * d + i;
        HttpResponse<String> response =
            cluster.postUntilNot503(
                via,
                AccountWorkload.path(account),
                "{\"type\":\"deposit\",\"amount\":" + amount + "}",
                account + "-deposit-" + d);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        balance += amount;
      }
      acknowledged.put(account, balance);
    }

    first.forEach(cluster::killNode);
    ForkedCluster.await(
        "every node process gone",
        Duration.ofSeconds(30),
        () -> cluster.nodes().stream().noneMatch(Node::isAlive));

    // Replacements for all three at once, none of them special: bootstrap decides who forms.
    long restart = System.nanoTime();
    cluster.start(START_TIMEOUT, 3);
    System.out.printf(
        "[full-loss] replacements formed one cluster of 3 and are ready after %.1f s%n",
        (System.nanoTime() - restart) / 1e9);

    // One cluster, not several: every node sees exactly the same three members (start() waits
    // for that), and they agree on one leader.
    ForkedCluster.await(
        "the three nodes agree on one leader",
        Duration.ofSeconds(30),
        () -> leaders().size() == 1 && !leaders().contains(""));

    // Pekko Management's /ready (what Kubernetes would probe) is Starfish's readiness. Awaited:
    // one probe (2 s timeout) of a node busy recovering its remembered entities can go unanswered.
    for (Node node : first) {
      ForkedCluster.await(
          node + " management /ready answering 200",
          Duration.ofSeconds(60),
          () -> cluster.managementStatus(node, "/ready") == 200,
          () -> " (last status " + cluster.managementStatus(node, "/ready") + ")");
    }

    // A fourth node, configured like the others, joins the running cluster (a contact point
    // reports it) instead of forming one; before it is Up, its management /ready says not ready.
    Node fourth = cluster.node(4);
    cluster.startAgain(fourth);
    ForkedCluster.await(
        "the fourth node's management endpoint answering",
        START_TIMEOUT,
        () -> cluster.managementStatus(fourth, "/alive") == 200);
    assertThat(cluster.managementStatus(fourth, "/ready"))
        .as("management /ready of a node that is still starting")
        .isNotEqualTo(200);
    cluster.awaitReadyAndUp(START_TIMEOUT, cluster.nodes());

    for (Map.Entry<String, Long> account : acknowledged.entrySet()) {
      for (Node via : cluster.nodes()) {
        JsonNode state = readUntilAnswered(via, account.getKey());
        assertThat(state.path("state").path("balance").asLong())
            .as("balance of %s read via %s", account.getKey(), via)
            .isEqualTo(account.getValue());
        assertThat(state.path("version").asLong())
            .as("events of %s", account.getKey())
            .isEqualTo(3);
      }
    }
  }

  private Set<String> leaders() {
    return cluster.nodes().stream()
        .filter(Node::isAlive)
        .map(n -> cluster.cluster(n).map(c -> c.path("leader").asText("")).orElse(""))
        .collect(Collectors.toSet());
  }

  /** A read, repeated while the answer is 503 (an entity's first start on a new cluster). */
  private JsonNode readUntilAnswered(Node via, String account) throws IOException {
    AtomicReference<HttpResponse<String>> response = new AtomicReference<>();
    try {
      Awaitility.await("a non-503 answer reading " + account + " via " + via)
          .atMost(Duration.ofSeconds(60))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100)) // a client's pause before it asks again
          .dontCatchUncaughtExceptions()
          .until(
              () -> {
                response.set(
                    cluster.get(via, AccountWorkload.path(account), Duration.ofSeconds(10)));
                return response.get().statusCode() != 503;
              });
    } catch (ConditionTimeoutException e) {
      // still 503 after 60 s: fails below with the last answer
    }
    if (response.get().statusCode() != 200) {
      throw new AssertionError("reading " + account + " via " + via + ": " + response.get().body());
    }
    return EntityJson.MAPPER.readTree(response.get().body());
  }
}
