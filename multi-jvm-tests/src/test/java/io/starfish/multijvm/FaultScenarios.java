package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.multijvm.AccountWorkload.Outcome;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every fault scenario shares: three real node JVMs against the real test Cassandra, the keyed
 * account workload through every node ({@link AccountWorkload}), waits on conditions with deadlines
 * scaled to the configured healing time, and {@link #finish}: the summary line and the invariant
 * checkers ({@link InvariantChecker}) on the recorded history.
 */
@ExtendWith(TestCassandra.class)
abstract class FaultScenarios {

  static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  /** Deadlines are multiples of the healing time the configured timings allow (about 4 s). */
  static final int HEALING_FACTOR = 10;

  static final int ACCOUNTS = 24;
  static final int CLIENTS = 6;

  /** How long a client retries one operation (across nodes, with its key) before giving up. */
  static final Duration OPERATION_DEADLINE = Duration.ofSeconds(20);

  ForkedCluster cluster;

  @org.junit.jupiter.api.extension.RegisterExtension
  final org.junit.jupiter.api.extension.TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  AccountWorkload workload;

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

  static Duration healingDeadline() {
    return ForkedCluster.expectedHealingTime().multipliedBy(HEALING_FACTOR);
  }

  List<String> start(String scenario) {
    cluster = new ForkedCluster("faults-" + scenario, 3, ForkedCluster.chaosEnvironment(), 256);
    cluster.start(START_TIMEOUT);
    String prefix = InvariantChecker.uniquePrefix(scenario);
    return IntStream.range(0, ACCOUNTS).mapToObj(i -> prefix + i).toList();
  }

  /** As {@link #start(String)}, with every node in its own cgroup for real partitions. */
  List<String> start(String scenario, PacketFilter packets) {
    cluster = new ForkedCluster("partitions-" + scenario, 3, Map.of(), 256);
    cluster.usePacketFilter(packets);
    cluster.start(START_TIMEOUT);
    String prefix = InvariantChecker.uniquePrefix(scenario);
    return IntStream.range(0, ACCOUNTS).mapToObj(i -> prefix + i).toList();
  }

  void startLoad(List<String> accounts) {
    startLoad(accounts, CLIENTS);
  }

  void startLoad(List<String> accounts, int clients) {
    workload = new AccountWorkload(cluster, accounts, clients, OPERATION_DEADLINE);
  }

  /** Lets the workload complete some operations: a condition on the history, not a fixed sleep. */
  void awaitAcknowledged(long count) {
    awaitAcknowledged(count + " more acknowledged operations", count, () -> true);
  }

  /**
   * Waits until {@code count} more operations are acknowledged and {@code also} holds. A condition
   * on progress, not on the machine's speed: it fails when no operation is acknowledged for a whole
   * healing deadline (a stall), or after four of them in all; a slow machine that keeps
   * acknowledging only takes longer.
   */
  void awaitAcknowledged(String what, long count, BooleanSupplier also) {
    long target = workload.count(Outcome.ACKNOWLEDGED) + count;
    long[] lastProgress = {workload.count(Outcome.ACKNOWLEDGED), System.nanoTime()};
    ForkedCluster.await(
        what,
        healingDeadline().multipliedBy(4),
        () -> {
          long acknowledged = workload.count(Outcome.ACKNOWLEDGED);
          if (acknowledged > lastProgress[0]) {
            lastProgress[0] = acknowledged;
            lastProgress[1] = System.nanoTime();
          } else if (System.nanoTime() - lastProgress[1] > healingDeadline().toNanos()) {
            throw new AssertionError(
                "no operation acknowledged for "
                    + healingDeadline().toSeconds()
                    + " s while waiting for "
                    + what
                    + workload.progress());
          }
          return acknowledged >= target && also.getAsBoolean();
        },
        workload::progress);
  }

  /**
   * Time from {@code faultNanos} until every account answers (GET 200) through every live, ready
   * node in one sweep: the time from the fault to full service.
   */
  Duration awaitFullService(List<String> accounts, long faultNanos) {
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
  record Summary(
      long faultNanos,
      long failedAttempts,
      List<AccountWorkload.FailedAttempt> failedSinceFault,
      long indeterminate,
      InvariantChecker.Result result) {}

  /** When the scenario's fault (or planned operation) began, for {@link Summary}. */
  volatile long faultNanos = Long.MAX_VALUE;

  /** Stops the load, settles indeterminate operations, runs the checkers, prints the summary. */
  Summary finish(String scenario, List<String> accounts, Duration faultToFullService) {
    return finish(scenario, accounts, faultToFullService, "fault to full service");
  }

  Summary finish(
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
  static void assertNoRequestFailed(String scenario, Summary summary) {
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

  /** Waits until {@code observer} sees exactly nodes 1 and 2 Up: node 3 was downed. */
  void awaitUpMembersAreNodes1And2(String what, Node observer) {
    ForkedCluster.await(
        what,
        healingDeadline(),
        () ->
            cluster
                .upMembers(observer)
                .equals(java.util.Set.of(cluster.node(1).address(), cluster.node(2).address())));
  }

  /** Running accounts on {@code node}, by the shard view of {@code observer}. */
  int entitiesOn(Node node, Node observer) {
    return cluster
        .getJson(observer, "/api/v1/cluster/shards")
        .map(view -> view.path("account").path(node.address()).path("entityCount").asInt())
        .orElse(0);
  }
}
