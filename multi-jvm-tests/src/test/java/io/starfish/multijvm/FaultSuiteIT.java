package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.AccountWorkload.Outcome;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fault suite: three real node JVMs and a real Cassandra, a concurrent workload of keyed
 * deposits and withdrawals through every node, one fault per scenario, and the invariant checkers
 * ({@link InvariantChecker}) on the recorded history. Each scenario prints a one-line summary.
 *
 * <p>Partitions use Pekko Artery's test-mode blackhole, set through the node's admin API ({@code
 * POST /api/v1/admin/partition}): every node of a dev or test cluster shares 127.0.0.1 and Artery's
 * outbound connections do not bind their node's address, so packet filters on loopback cannot tell
 * one node's cluster traffic from another's without moving each node into a network namespace of
 * its own. The blackhole drops every cluster message (heartbeats, gossip, sharding) between the cut
 * nodes in both directions and leaves their Cassandra connections up: the partition in which a
 * cut-off node could still write to the journal, which is what the single-writer check is for.
 */
@ExtendWith(TestCassandra.class)
class FaultSuiteIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** Deadlines are multiples of the healing time the configured timings allow (about 4 s). */
  private static final int HEALING_FACTOR = 10;

  private static final int ACCOUNTS = 24;
  private static final int CLIENTS = 6;

  /** How long a client retries one operation (across nodes, with its key) before giving up. */
  private static final Duration OPERATION_DEADLINE = Duration.ofSeconds(20);

  private ForkedCluster cluster;

  @org.junit.jupiter.api.extension.RegisterExtension
  final org.junit.jupiter.api.extension.TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  private AccountWorkload workload;

  @AfterEach
  void cleanUp() {
    if (workload != null) {
      workload.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    // A scenario that failed with Cassandra stopped must not leave it stopped for the next one.
    TestCassandra.instance();
  }

  private static Duration healingDeadline() {
    return ForkedCluster.expectedHealingTime().multipliedBy(HEALING_FACTOR);
  }

  private List<String> start(String scenario) {
    cluster = new ForkedCluster("faults-" + scenario, 3, ForkedCluster.chaosEnvironment(), 256);
    cluster.start(START_TIMEOUT);
    String prefix = InvariantChecker.uniquePrefix(scenario);
    return IntStream.range(0, ACCOUNTS).mapToObj(i -> prefix + i).toList();
  }

  private void startLoad(List<String> accounts) {
    workload = new AccountWorkload(cluster, accounts, CLIENTS, OPERATION_DEADLINE);
  }

  /** Lets the workload complete some operations: a condition on the history, not a fixed sleep. */
  private void awaitAcknowledged(long count) {
    long target = workload.count(Outcome.ACKNOWLEDGED) + count;
    ForkedCluster.await(
        count + " more acknowledged operations",
        healingDeadline(),
        () -> workload.count(Outcome.ACKNOWLEDGED) >= target);
  }

  /**
   * Time from {@code faultNanos} until every account answers (GET 200) through every live, ready
   * node in one sweep: the time from the fault to full service.
   */
  private Duration awaitFullService(List<String> accounts, long faultNanos) {
    ForkedCluster.await(
        "every account answering through every live node",
        healingDeadline().multipliedBy(2),
        () -> {
          for (Node node : cluster.nodes()) {
            if (!node.isAlive() || node.isPaused()) {
              continue;
            }
            for (String account : accounts) {
              try {
                HttpResponse<String> response =
                    cluster.get(node, AccountWorkload.path(account), Duration.ofSeconds(5));
                if (response.statusCode() != 200) {
                  return false;
                }
              } catch (IOException e) {
                return false;
              }
            }
          }
          return true;
        });
    return Duration.ofNanos(System.nanoTime() - faultNanos);
  }

  /**
   * What a scenario's clients saw before anything was settled: the failed attempts (503s, refused
   * or broken connections, timeouts that the clients then retried) and the operations that were
   * still indeterminate when their deadline passed. Counted before {@link
   * AccountWorkload#resolveIndeterminate}, which makes every operation definite.
   */
  private record Summary(
      long faultNanos,
      long failedAttempts,
      List<AccountWorkload.FailedAttempt> failedSinceFault,
      long indeterminate,
      InvariantChecker.Result result) {}

  /** When the scenario's fault (or planned operation) began, for {@link Summary}. */
  private volatile long faultNanos = Long.MAX_VALUE;

  /** Stops the load, settles indeterminate operations, runs the checkers, prints the summary. */
  private Summary finish(String scenario, List<String> accounts, Duration faultToFullService) {
    return finish(scenario, accounts, faultToFullService, "fault to full service");
  }

  private Summary finish(
      String scenario, List<String> accounts, Duration faultToFullService, String timeLabel) {
    workload.stop();
    // Counted now, before the settling below retries (and so makes definite) every operation.
    long failedAttempts = workload.failedAttempts();
    List<AccountWorkload.FailedAttempt> failedSinceFault =
        faultNanos == Long.MAX_VALUE ? List.of() : workload.failedAttemptsSince(faultNanos);
    long indeterminate = workload.count(Outcome.INDETERMINATE);
    java.util.Map<String, Long> failureKinds = workload.failureKinds();
    cluster.awaitStable(HEALING_FACTOR);
    long operations = workload.history().size();
    long acknowledged = workload.count(Outcome.ACKNOWLEDGED);
    int settled = workload.resolveIndeterminate(OPERATION_DEADLINE);
    InvariantChecker.Result result =
        InvariantChecker.check(cluster, accounts, workload.history(), healingDeadline());
    System.out.printf(
        "[fault-suite] %-16s operations %d, acknowledged %d, failed attempts %d %s"
            + " (%d after the fault began), indeterminate before settling %d (settled %d),"
            + " lost %d, doubled %d, two writers %d, %s %.1f s%n",
        scenario,
        operations,
        acknowledged,
        failedAttempts,
        failureKinds,
        failedSinceFault.size(),
        indeterminate,
        settled,
        result.lost(),
        result.phantom(),
        result.dualWriters(),
        timeLabel,
        faultToFullService.toMillis() / 1000.0);
    assertThat(result.violations()).as("invariant violations in %s", scenario).isEmpty();
    assertThat(result.lost()).isZero();
    assertThat(result.phantom()).isZero();
    assertThat(result.dualWriters()).isZero();
    assertThat(acknowledged).as("acknowledged operations in %s", scenario).isPositive();
    return new Summary(faultNanos, failedAttempts, failedSinceFault, indeterminate, result);
  }

  /**
   * A planned operation: from its start, no client attempt failed and nothing was left
   * indeterminate. (Failed attempts in the seconds after the cluster's own start are counted in the
   * summary but not here: see "ready means ready" in docs/faults.md.)
   */
  private static void assertNoRequestFailed(String scenario, Summary summary) {
    List<String> failed =
        summary.failedSinceFault().stream()
            .map(
                f ->
                    String.format(
                        "+%.1f s via node %d: %s",
                        (f.nanos() - summary.faultNanos()) / 1e9, f.node(), f.problem()))
            .toList();
    assertThat(failed)
        .as("failed client attempts during %s (before any retry settled them)", scenario)
        .isEmpty();
    assertThat(summary.indeterminate())
        .as("indeterminate operations during %s (before settling)", scenario)
        .isZero();
  }

  @Test
  void kill9OfOneNodeUnderLoadThenItRejoins() {
    List<String> accounts = start("kill-9");
    startLoad(accounts);
    awaitAcknowledged(200);

    Node victim = cluster.node(3);
    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.killNode(victim);
    Duration fullService = awaitFullService(accounts, fault);
    awaitAcknowledged(100);

    cluster.restartNode(victim, START_TIMEOUT);
    awaitAcknowledged(100);
    finish("kill-9", accounts, fullService);
    assertThat(cluster.upMembers(cluster.node(1))).hasSize(3);
  }

  @Test
  void gracefulLeaveUnderLoadFailsNoRequest() {
    List<String> accounts = start("graceful-leave");
    startLoad(accounts);
    awaitAcknowledged(200);

    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.stopNode(cluster.node(3), Duration.ofMinutes(1));
    Duration fullService = awaitFullService(accounts, fault);
    awaitAcknowledged(100);

    Summary summary =
        finish("graceful-leave", accounts, fullService, "leave begun to full service");
    assertNoRequestFailed("graceful-leave", summary);
    assertThat(cluster.upMembers(cluster.node(1))).hasSize(2);
  }

  @Test
  void rollingRestartOfAllThreeNodesUnderLoadFailsNoRequest() {
    List<String> accounts = start("rolling-restart");
    startLoad(accounts);
    awaitAcknowledged(150);

    long fault = System.nanoTime();
    faultNanos = fault;
    // As a careful operator rolls (Kubernetes: minReadySeconds): the next node is stopped only
    // once the restarted one is ready and hosts shards again (a new node settles for
    // starfish.sharding.settle-new-regions-for before it takes any).
    for (Node node : cluster.nodes()) {
      cluster.stopNode(node, Duration.ofMinutes(1));
      cluster.restartNode(node, START_TIMEOUT);
      ForkedCluster.await(
          node + " hosting accounts again",
          healingDeadline().multipliedBy(3),
          () -> entitiesOn(node, cluster.node(node.index % 3 + 1)) > 0);
      awaitAcknowledged(100);
    }
    Duration fullService = awaitFullService(accounts, fault);
    Summary summary = finish("rolling-restart", accounts, fullService, "whole rolling restart");
    assertNoRequestFailed("rolling-restart", summary);
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

  /** Waits until {@code observer} sees exactly nodes 1 and 2 Up: node 3 was downed. */
  private void awaitUpMembersAreNodes1And2(String what, Node observer) {
    ForkedCluster.await(
        what,
        healingDeadline(),
        () ->
            cluster
                .upMembers(observer)
                .equals(java.util.Set.of(cluster.node(1).address(), cluster.node(2).address())));
  }

  /** Running accounts on {@code node}, by the shard view of {@code observer}. */
  private int entitiesOn(Node node, Node observer) {
    return cluster
        .getJson(observer, "/api/v1/cluster/shards")
        .map(view -> view.path("account").path(node.address()).path("entityCount").asInt())
        .orElse(0);
  }

  @Test
  void anIsolatedNodeIsDownedByTheMajorityWhichKeepsServingAndTheClusterConvergesAfterTheHeal() {
    List<String> accounts = start("partition");
    startLoad(accounts);
    awaitAcknowledged(200);

    Node isolated = cluster.node(3);
    Node majority = cluster.node(1);
    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.isolate(isolated);
    // keep-majority: the two connected nodes down the isolated one, which downs itself and exits
    // (run-coordinated-shutdown-when-down, exit-jvm).
    awaitUpMembersAreNodes1And2("the majority sees exactly itself", majority);
    ForkedCluster.await(
        "the isolated node downed itself and exited", healingDeadline(), () -> !isolated.isAlive());
    Duration fullService = awaitFullService(accounts, fault);
    awaitAcknowledged(100);

    // Heal: the cut lived in the isolated node's process, which is gone; what is left to heal is
    // the membership: a new incarnation on the same address joins the majority.
    cluster.heal();
    cluster.restartNode(isolated, START_TIMEOUT);
    awaitAcknowledged(100);
    finish("partition", accounts, fullService);
    assertThat(cluster.upMembers(cluster.node(3))).hasSize(3);
  }

  @Test
  void aCassandraOutageUnderLoadLosesNoAcknowledgedWriteAndServiceResumes() {
    List<String> accounts = start("cassandra-outage");
    startLoad(accounts);
    awaitAcknowledged(200);

    long fault = System.nanoTime();
    faultNanos = fault;
    cluster.stopCassandra();
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
    finish("cassandra-outage", accounts, fullService, "Cassandra stopped to full service");
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

  @Test
  void killOfTheNodeHoldingTheShardCoordinator() {
    List<String> accounts = start("coordinator");
    startLoad(accounts);
    awaitAcknowledged(200);

    // The coordinators are cluster singletons: they live on the oldest member.
    String oldest = cluster.cluster(cluster.node(2)).orElseThrow().path("oldest").asText();
    Node victim =
        cluster.nodes().stream().filter(n -> n.address().equals(oldest)).findFirst().orElseThrow();
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
    finish("coordinator-kill", accounts, fullService);
  }

  private Map<String, JsonNode> states(List<String> accounts, Node via) throws IOException {
    Map<String, JsonNode> states = new java.util.TreeMap<>();
    for (String account : accounts) {
      HttpResponse<String> response =
          cluster.get(via, AccountWorkload.path(account), Duration.ofSeconds(10));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      states.put(account, io.starfish.sharding.internal.Json.MAPPER.readTree(response.body()));
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
