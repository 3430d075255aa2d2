package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import io.starfish.multijvm.AccountWorkload.Operation;
import io.starfish.multijvm.AccountWorkload.Outcome;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import io.starfish.persistence.embedded.EmbeddedCassandraCluster;
import io.starfish.persistence.testing.TestCassandra;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replicated storage: Starfish on a ring of three Cassandra nodes (127.0.0.1-3, the same ports on
 * each), keyspaces replicated three times (NetworkTopologyStrategy), events written and read at
 * QUORUM. Under the same load and checkers as the fault suite, the ring loses one node's disk, then
 * one node, then two:
 *
 * <ol>
 *   <li>a node loses its data, commit log and hints: a new node takes its place in the ring (it
 *       streams the data from the others) while the load goes on;
 *   <li>{@code kill -9} of one Cassandra node: after the requests it was coordinating (10 s), no
 *       client attempt fails; nothing is left indeterminate, and no Starfish node stops being
 *       ready;
 *   <li>{@code kill -9} of a second one: no quorum, so writes are refused at once (503 naming the
 *       journal, not a timeout) and readiness reports the journal down; once one of the two is
 *       back, service resumes.
 * </ol>
 *
 * Then every acknowledged operation must be in the journal exactly once (read at QUORUM), every key
 * applied once, and all nodes agree.
 */
class ReplicatedStorageIT extends FaultScenarios {

  /**
   * After the surviving Cassandra nodes saw a crashed one down: requests begun before may fail this
   * long (the longest settling of an unanswered write, 14 s, and one more attempt).
   */
  private static final Duration IN_FLIGHT_GRACE = Duration.ofSeconds(15);

  /** How long, after that, one node stays down while nothing may fail. */
  private static final Duration STEADY_WINDOW = Duration.ofSeconds(15);

  private static EmbeddedCassandraCluster ring;

  @BeforeAll
  static void startRing() {
    Path dir =
        Path.of(System.getProperty("starfish.test.work-dir", "target/it-work"))
            .resolve("cassandra-ring-" + UUID.randomUUID().toString().substring(0, 8));
    ring =
        EmbeddedCassandraCluster.start(
            EmbeddedCassandra.Settings.in(dir)
                .withPorts(TestCassandra.freePort(), TestCassandra.freePort())
                .withProgress(line -> System.out.println("[cassandra-ring] " + line)),
            3);
    System.out.println("[cassandra-ring] up: " + ring.contactPointList() + "; " + ringRss());
  }

  @AfterAll
  static void stopRing() {
    if (ring != null) {
      ring.close();
    }
  }

  private ReadinessRecorder readiness;

  @AfterEach
  void stopRecorder() {
    if (readiness != null) {
      readiness.close();
    }
  }

  @Test
  void theRingLosesADiskThenOneNodeThenTwoAndNothingAcknowledgedIsLost() {
    // As in production (docs/operations.md): the schema first, from `starfish-node schema`'s
    // statements, and nodes that do not create it. (With autocreation, the journal plugin tries
    // once per node: in one CI run a CREATE TABLE reached a ring node that had not seen the new
    // keyspace yet, and the snapshot table never came.)
    createSchemaWithThreeReplicas();
    cluster =
        new ForkedCluster(
            "replicated",
            3,
            Map.of(
                "STARFISH_CASSANDRA_REPLICATION_FACTOR",
                "3",
                "STARFISH_CASSANDRA_SCHEMA_AUTOCREATE",
                "off"),
            256);
    cluster.useCassandra(ring.contactPointList());
    cluster.start(START_TIMEOUT);
    Map<String, String> replication = replicationOfTheJournalKeyspace();
    assertThat(replication.get("class"))
        .as("replication of the keyspace the nodes created: %s", replication)
        .endsWith("NetworkTopologyStrategy");
    assertThat(replication.get("datacenter1")).as("replicas in datacenter1").isEqualTo("3");
    String prefix = InvariantChecker.uniquePrefix("replicated");
    List<String> accounts = IntStream.range(0, ACCOUNTS).mapToObj(i -> prefix + i).toList();
    readiness = new ReadinessRecorder(cluster);
    // Three busy clients, not six: with three node JVMs and three Cassandra JVMs on two cores, a
    // Cassandra node restarted under six took over 100 s to start.
    startLoad(accounts, 3);
    // Warm-up: every account written before a disk is lost. (100, not more: a CI run whose machine
    // was also busy with other work did only 123 in the first minute; the wait fails only when
    // the workload stalls.)
    awaitAcknowledged(100);

    // 1. A node loses its disk: a new, empty node takes its place in the ring and streams its data
    // from the others. (First, while every replica holds every event: a replacement streams each
    // range from one replica.)
    long wiped = System.nanoTime();
    ring.wipeAndReplace(3);
    System.out.printf(
        "[cassandra-ring] wiped node back after %.1f s; %s%n",
        (System.nanoTime() - wiped) / 1e9, ringRss());
    awaitAcknowledged(100);
    // 2. One Cassandra node crashes: a quorum is left, so nothing may go unready, and once the
    // requests it was involved in at that instant are over, nothing may fail. Those may fail: the
    // journal settles an unanswered write by a serial read, but a read or a settling that the
    // dying node coordinated fails, and its entity restarts with backoff (six failed attempts in
    // the first 3 s in one local run, 2026-12-02). So may requests until the surviving Cassandra
    // nodes' gossip has marked the dead one down: until then a coordinator may still pick it as
    // one of a read's two replicas and wait for it until the request times out. On the loaded CI
    // machine one entity failed for more than 17 s after the crash (2026-12-02), longer than a
    // fixed 10 s grace from the crash; the grace now starts when both survivors saw it down, and
    // lasts as long as the longest settling of an unanswered write (2 + 5 + 2 + 5 s) plus a retry.
    // The window then lasts at least 15 s.
    long oneDown = System.nanoTime();
    faultNanos = oneDown;
    Duration seenDown = ring.killAndAwaitSeenDown(2);
    System.out.printf(
        "[cassandra-ring] the surviving nodes saw the crashed one down after %.1f s%n",
        seenDown.toMillis() / 1000.0);
    long steady = System.nanoTime() + IN_FLIGHT_GRACE.toNanos();
    awaitAcknowledged(
        "150 more acknowledged operations with one Cassandra node down, for at least "
            + IN_FLIGHT_GRACE.plus(STEADY_WINDOW).toSeconds()
            + " s",
        150,
        // the fault's length, not a wait for a condition: a window long enough to count
        () -> System.nanoTime() - steady > STEADY_WINDOW.toNanos());
    long oneDownEnd = System.nanoTime();
    System.out.printf(
        "[cassandra-ring] one node down for %.1f s; failed attempts before the steady window"
            + " (until %d s after it was seen down): %d; %s%n",
        (oneDownEnd - oneDown) / 1e9,
        IN_FLIGHT_GRACE.toSeconds(),
        failuresBetween(oneDown, steady).size(),
        ringRss());
    assertThat(failuresBetween(steady, oneDownEnd))
        .as(
            "failed client attempts while one Cassandra node was down, from %d s after the"
                + " surviving nodes saw it down",
            IN_FLIGHT_GRACE.toSeconds())
        .isEmpty();
    assertThat(workload.count(Outcome.INDETERMINATE)).isZero();
    assertThat(
            readiness.between(oneDown, oneDownEnd).stream()
                .filter(n -> n.status() != -1) // -1: no answer within 2 s on the loaded box
                .toList())
        .as("nodes not ready while one Cassandra node was down")
        .isEmpty();

    // 3. A second one crashes: no quorum. Readiness says so and writes are refused at once.
    long twoDown = System.nanoTime();
    ring.kill(3);
    ForkedCluster.await(
        "every node reporting its journal down",
        healingDeadline(),
        () ->
            cluster.nodes().stream()
                .allMatch(
                    node -> {
                      try {
                        var ready = cluster.get(node, "/health/ready", Duration.ofSeconds(5));
                        return ready.statusCode() == 503 && ready.body().contains("journal");
                      } catch (IOException e) {
                        return false;
                      }
                    }));
    Operation refused =
        workload.depositOnceVia(cluster.node(1), accounts.get(0), Duration.ofSeconds(8));
    assertThat(refused.outcome()).as(refused.toString()).isEqualTo(Outcome.INDETERMINATE);
    assertThat(refused.detail())
        .as("a write without a quorum is refused at once, not timed out")
        .startsWith("503")
        .doesNotContain("did not answer within");
    // One of them comes back: a quorum again, and full service. (The third stays down: the
    // checkers below read at QUORUM from the two.)
    ring.start(2);
    Duration resumed = awaitFullService(accounts, twoDown);
    awaitAcknowledged(50);
    System.out.printf(
        "[cassandra-ring] two nodes down, one back: full service %.1f s after the second"
            + " crash%n",
        resumed.toMillis() / 1000.0);

    finish("replicated", accounts, resumed, "second crash to full service");
  }

  /** Failed client attempts that ended between two instants. */
  private List<AccountWorkload.FailedAttempt> failuresBetween(long from, long to) {
    return workload.failedAttemptsSince(from).stream().filter(f -> to - f.nanos() >= 0).toList();
  }

  private static void createSchemaWithThreeReplicas() {
    int statements = RingSchema.create(ring.contactPointList(), "");
    System.out.println("[cassandra-ring] schema created: " + statements + " statements");
  }

  private static Map<String, String> replicationOfTheJournalKeyspace() {
    try (CqlSession cql = InvariantChecker.session(ring.contactPointList())) {
      return cql.execute(
              "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = 'starfish'")
          .one()
          .getMap("replication", String.class, String.class);
    }
  }

  /** Resident memory of each running Cassandra node of the ring. */
  private static String ringRss() {
    StringBuilder text = new StringBuilder("Cassandra RSS");
    for (int i = 1; i <= ring.size(); i++) {
      EmbeddedCassandra node = ring.node(i);
      text.append(' ')
          .append(ring.contactPoints().get(i - 1).split(":")[0])
          .append('=')
          .append(node == null ? "down" : rssMb(node.pid()) + " MiB");
    }
    return text.toString();
  }

  private static long rssMb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: unknown
    }
    return -1;
  }
}
