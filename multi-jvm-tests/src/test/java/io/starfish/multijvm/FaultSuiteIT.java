package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.AccountWorkload.Outcome;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.runtime.examples.NextReleaseNode;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The fault suite: three real node JVMs and a real Cassandra, a concurrent workload of keyed
 * deposits and withdrawals through every node, one fault per scenario, and the invariant checkers
 * ({@link InvariantChecker}) on the recorded history. Each scenario prints a one-line summary.
 * Crashes, freezes, planned operations and storage outages are here; network partitions (real
 * packets dropped) are in {@link PartitionSuiteIT}.
 */
class FaultSuiteIT extends FaultScenarios {

  /**
   * A rolling upgrade to the application's next release (an account with one more command, {@link
   * io.starfish.runtime.examples.AccountNextRelease}), one node at a time under load: each step is
   * a graceful leave (SIGTERM: hand-off, then exit) and a start of the new build. No request fails,
   * nothing acknowledged is lost, the new build recovers what the old one wrote, and once every
   * node runs it the new command works.
   */
  @Test
  void rollingUpgradeOfAllThreeNodesUnderLoadFailsNoRequest() throws Exception {
    List<String> accounts = start("rolling-upgrade");
    startLoad(accounts);
    awaitAcknowledged(150);

    long fault = System.nanoTime();
    faultNanos = fault;
    // As a careful operator rolls (Kubernetes: minReadySeconds): the next node is stopped only
    // once the restarted one is ready and hosts shards again (a new node settles for
    // starfish.sharding.settle-new-regions-for before it takes any).
    Duration leaveToFullService = null;
    for (Node node : cluster.nodes()) {
      long leave = System.nanoTime();
      cluster.stopNode(node, Duration.ofMinutes(1));
      if (leaveToFullService == null) {
        // The first step is a graceful leave: the other two serve every account, alone.
        leaveToFullService = awaitFullService(accounts, leave);
        assertThat(cluster.upMembers(cluster.node(2))).as("members after a leave").hasSize(2);
        System.out.printf(
            "[fault-suite] graceful leave of %s: full service on the other two %.1f s after the"
                + " leave began%n",
            node, leaveToFullService.toMillis() / 1000.0);
      }
      cluster.upgradeNode(node, NextReleaseNode.class.getName(), START_TIMEOUT);
      if (node.index < cluster.nodes().size()) {
        // (Not after the last node: no node is stopped after it. Waiting would only add the
        // settle time, about 40 s on this box, to the suite.)
        ForkedCluster.await(
            node + " hosting accounts again",
            healingDeadline().multipliedBy(3),
            () -> entitiesOn(node, cluster.node(node.index % 3 + 1)) > 0);
      }
      awaitAcknowledged(100);
    }
    Duration fullService = awaitFullService(accounts, fault);
    Summary summary = finish("rolling-upgrade", accounts, fullService, "whole rolling upgrade");
    assertNoRequestFailed("rolling-upgrade", summary);

    // Every node runs the next release now: its new command works, on an account the old
    // release wrote (its events replayed by the new code), through every node.
    String path = "/api/v1/entities/account/" + accounts.get(0);
    for (Node node : cluster.nodes()) {
      long before =
          EntityJson.MAPPER
              .readTree(cluster.get(node, path, Duration.ofSeconds(10)).body())
              .path("state")
              .path("balance")
              .asLong();
      HttpResponse<String> deposit =
          cluster.postUntilNot503(
              node, path, "{\"type\":\"deposit\",\"amount\":5}", "upgrade-in-" + node.index);
      assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);
      HttpResponse<String> fee =
          cluster.postUntilNot503(
              node, path, "{\"type\":\"fee\",\"amount\":1}", "upgrade-fee-" + node.index);
      assertThat(fee.statusCode())
          .as("the new command through %s: %s", node, fee.body())
          .isEqualTo(200);
      assertThat(EntityJson.MAPPER.readTree(fee.body()).path("state").path("balance").asLong())
          .as("balance after deposit 5 and fee 1")
          .isEqualTo(before + 4);
    }
  }

  /**
   * A node freezes (SIGSTOP) for longer than the others take to down it and restart its entities,
   * while clients go on writing through every node; requests sent to it wait in its sockets, and
   * their clients retry them elsewhere with the same key. When it wakes (SIGCONT) it still holds
   * its entities and their stale states, and processes what waited for it before it learns that it
   * was downed. None of that may reach the journal next to the survivors' events: the checker reads
   * every account's rows from Cassandra (no duplicate or missing sequence number, no writer that
   * writes again after another took over) and every key must be applied exactly once.
   */
  @Test
  void aPausedNodeThatWakesAfterItWasReplacedWritesNothingToTheJournal() {
    List<String> accounts = start("sigstop");
    startLoad(accounts);
    awaitAcknowledged(200);

    Node frozen = cluster.node(3);
    Node observer = cluster.node(1);
    assertThat(entitiesOn(frozen, observer))
        .as("accounts running on the node to freeze")
        .isPositive();
    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.pause(frozen);
    awaitUpMembersAreNodes1And2("the others downed the frozen node", observer);
    Duration fullService = awaitFullService(accounts, fault);
    awaitAcknowledged(100);
    // The fault's length, not a wait for a condition: frozen well past its downing.
    Duration frozenFor = Duration.ofSeconds(25);
    long wake = fault + frozenFor.toNanos();
    while (System.nanoTime() < wake) {
      awaitAcknowledged(10);
    }
    cluster.resume(frozen);
    // It learns that it was downed and stops itself (run-coordinated-shutdown-when-down).
    ForkedCluster.await(
        "the woken node stopped itself", healingDeadline(), () -> !frozen.isAlive());
    awaitAcknowledged(100);

    cluster.restartNode(frozen, START_TIMEOUT);
    awaitAcknowledged(100);
    finish("sigstop-25s", accounts, fullService, "freeze to full service");
  }

  @Test
  void aKill9OfCassandraUnderLoadLosesNoAcknowledgedWriteAndServiceResumes() {
    List<String> accounts = start("cassandra-kill-9");
    startLoad(accounts);
    awaitAcknowledged(200);

    long fault = System.nanoTime();
    faultNanos = fault;
    // kill -9, not SIGTERM: no memtable flush, no clean commit-log close. What Cassandra had
    // acknowledged is in its commit log (written to the OS, not yet synced: a process crash
    // keeps it), and is replayed at the restart.
    cluster.killCassandra();
    // Every node notices: its readiness names the journal.
    ForkedCluster.await(
        "every node reporting the journal down",
        healingDeadline(),
        () ->
            cluster.nodes().stream()
                .allMatch(
                    node -> {
                      try {
                        HttpResponse<String> ready =
                            cluster.get(node, "/health/ready", Duration.ofSeconds(5));
                        return ready.statusCode() == 503 && ready.body().contains("journal");
                      } catch (IOException e) {
                        return false;
                      }
                    }));
    long acknowledgedDuringOutage = workload.count(Outcome.ACKNOWLEDGED);
    cluster.startCassandra();
    Duration fullService = awaitFullService(accounts, fault);
    awaitAcknowledged(100);
    assertThat(workload.count(Outcome.ACKNOWLEDGED)).isGreaterThan(acknowledgedDuringOutage);
    finish("cassandra-kill-9", accounts, fullService, "Cassandra killed to full service");
  }

  @Test
  void aFullClusterStopAndStartBringsBackEveryRememberedEntityWithItsState() throws Exception {
    List<String> accounts = start("full-restart");
    startLoad(accounts);
    awaitAcknowledged(300);
    workload.stop();
    Map<String, JsonNode> before = states(accounts, cluster.node(1));

    // Every account runs (each was written), and the shard view says so: a complete view (every
    // node answered for every shard) counting at least our accounts. Without this, an empty view
    // would make the wait below pass at once, and the reads after it would start the entities.
    Map<String, Integer> entitiesPerShard =
        entitiesPerShard(cluster.node(1))
            .orElseThrow(() -> new AssertionError("no complete shard view before the stop"));
    assertThat(entitiesPerShard.values().stream().mapToInt(Integer::intValue).sum())
        .as("running accounts before the stop, per the shard view")
        .isGreaterThanOrEqualTo(ACCOUNTS);

    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.stopAllNodes(Duration.ofMinutes(1));
    cluster.start(START_TIMEOUT);
    // remember-entities: every entity that was running (these accounts among them, in their
    // shards) runs again before anyone asks for it. Nothing reads an account until this holds.
    ForkedCluster.await(
        "every shard running at least its " + entitiesPerShard + " entities again, unasked",
        healingDeadline().multipliedBy(2),
        () ->
            entitiesPerShard(cluster.node(1))
                .map(
                    now ->
                        entitiesPerShard.entrySet().stream()
                            .allMatch(e -> now.getOrDefault(e.getKey(), 0) >= e.getValue()))
                .orElse(false));
    Duration fullService = Duration.ofNanos(System.nanoTime() - fault);
    Map<String, JsonNode> after = states(accounts, cluster.node(2));
    assertThat(after).isEqualTo(before);

    // More load after the restart, then the full checks.
    AccountWorkload first = workload;
    startLoad(accounts);
    awaitAcknowledged(100);
    workload.stop();
    List<AccountWorkload.Operation> history = new ArrayList<>(first.history());
    history.addAll(workload.history());
    InvariantChecker.Result result =
        InvariantChecker.check(cluster, accounts, history, healingDeadline());
    System.out.printf(
        "[fault-suite] %-16s operations %d, acknowledged %d, failed attempts %d,"
            + " indeterminate before settling %d, lost %d, doubled %d, two writers %d,"
            + " stop to all entities back %.1f s%n",
        "full-restart",
        history.size(),
        history.stream().filter(op -> op.outcome() == Outcome.ACKNOWLEDGED).count(),
        first.failedAttempts() + workload.failedAttempts(),
        history.stream().filter(op -> op.outcome() == Outcome.INDETERMINATE).count(),
        result.lost(),
        result.phantom(),
        result.dualWriters(),
        fullService.toMillis() / 1000.0);
    assertThat(result.violations()).isEmpty();
  }

  /**
   * {@code kill -9} of a node under load, and its rejoin. The victim is the oldest member, which
   * also hosts the shard coordinators (cluster singletons): the hardest case of a crash, since
   * allocation moves with it. (Crashes of other nodes: ClusterFailoverIT, BankIT,
   * IdempotencyFailoverIT, DashboardBrowserIT.)
   */
  @Test
  void kill9OfTheNodeHoldingTheShardCoordinatorsUnderLoadThenItRejoins() {
    List<String> accounts = start("kill-9");
    startLoad(accounts);
    awaitAcknowledged(200);

    // The coordinators are cluster singletons: they live on the oldest member.
    Node victim = cluster.oldest(cluster.node(2));
    String oldest = victim.address();
    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.killNode(victim);
    Duration fullService = awaitFullService(accounts, fault);
    String newOldest =
        cluster
            .cluster(cluster.nodes().stream().filter(Node::isAlive).findFirst().orElseThrow())
            .orElseThrow()
            .path("oldest")
            .asText();
    assertThat(newOldest).isNotEqualTo(oldest);
    awaitAcknowledged(100);

    cluster.restartNode(victim, START_TIMEOUT);
    awaitAcknowledged(100);
    finish("kill-9-oldest", accounts, fullService);
    assertThat(cluster.upMembers(cluster.node(1))).hasSize(3);
  }

  private Map<String, JsonNode> states(List<String> accounts, Node via) throws IOException {
    Map<String, JsonNode> states = new java.util.TreeMap<>();
    for (String account : accounts) {
      HttpResponse<String> response =
          cluster.get(via, AccountWorkload.path(account), Duration.ofSeconds(10));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      states.put(account, io.starfish.sharding.EntityJson.MAPPER.readTree(response.body()));
    }
    return states;
  }

  /**
   * Running account entities per shard id, over all nodes, by the cluster's shard view; empty when
   * the view did not answer or is incomplete (a node's region failed to report some shards).
   */
  private Optional<Map<String, Integer>> entitiesPerShard(Node observer) {
    Optional<JsonNode> view = cluster.getJson(observer, "/api/v1/cluster/shards");
    if (view.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Integer> counts = new java.util.TreeMap<>();
    for (JsonNode node : view.get().path("account")) {
      if (!node.path("failedShards").isEmpty()) {
        return Optional.empty();
      }
      node.path("shards")
          .properties()
          .forEach(shard -> counts.merge(shard.getKey(), shard.getValue().asInt(), Integer::sum));
    }
    return counts.isEmpty() ? Optional.empty() : Optional.of(counts);
  }
}
