package io.starfish.multijvm;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.AccountWorkload.Operation;
import io.starfish.multijvm.AccountWorkload.Outcome;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Checks a workload's history against the accounts' final states and their journal, after every
 * indeterminate operation was settled:
 *
 * <ul>
 *   <li><b>no lost acknowledged write</b>: every acknowledged operation's version is part of the
 *       entity's final history, and the final balance is the sum of the acknowledged operations;
 *   <li><b>no phantom write</b>: the entity applied exactly the acknowledged operations (its final
 *       version is their number; rejected operations left no version behind);
 *   <li><b>single writer</b>: no two acknowledged operations got the same version, their balances
 *       form one chain (each one's balance is the previous one's plus its change). Two live
 *       incarnations of an entity would both append at the same sequence number, and both
 *       acknowledge it; and, read straight from Cassandra, the journal's sequence numbers run
 *       without gaps or duplicates, and no writer (pekko-persistence-cassandra's writer_uuid, one
 *       per entity incarnation) writes again after another one took over;
 *   <li><b>convergence</b>: every live node answers for every account, with the same state.
 * </ul>
 */
public final class InvariantChecker {

  /** What the checks found; {@link #violations()} must be empty. */
  public record Result(
      long lost,
      long phantom,
      long dualWriters,
      List<String> violations,
      int accounts,
      int journalWriters) {}

  private InvariantChecker() {}

  public static Result check(
      ForkedCluster cluster, List<String> accounts, List<Operation> history, Duration timeout) {
    List<String> violations = new ArrayList<>();
    long lost = 0;
    long phantom = 0;
    long dualWriters = 0;

    for (Operation op : history) {
      if (op.outcome() == Outcome.UNEXPECTED || op.outcome() == Outcome.INDETERMINATE) {
        violations.add("operation without a definite outcome: " + op);
      }
    }
    Map<String, List<Operation>> acknowledged = new HashMap<>();
    for (Operation op : history) {
      if (op.outcome() == Outcome.ACKNOWLEDGED) {
        acknowledged.computeIfAbsent(op.account, a -> new ArrayList<>()).add(op);
      }
    }

    List<Node> live = cluster.nodes().stream().filter(Node::isAlive).toList();
    Map<String, Integer> writers =
        journalCheck(cluster.cassandraContactPoints(), accounts, violations);
    for (String account : accounts) {
      JsonNode state = convergedState(cluster, live, account, timeout, violations);
      if (state == null) {
        continue;
      }
      long finalVersion = state.path("version").asLong();
      long finalBalance = state.path("state").path("balance").asLong();
      List<Operation> acked = new ArrayList<>(acknowledged.getOrDefault(account, List.of()));
      acked.sort(Comparator.comparingLong(Operation::version));

      Set<Long> seen = new HashSet<>();
      long expectedBalance = 0;
      long previousBalance = 0;
      for (Operation op : acked) {
        expectedBalance += op.delta();
        if (!seen.add(op.version())) {
          dualWriters++;
          lost++;
          violations.add(account + ": two acknowledged operations with version " + op.version());
          continue;
        }
        if (op.version() > finalVersion) {
          lost++;
          violations.add(
              account + ": acknowledged " + op + " is beyond the final version " + finalVersion);
        }
        if (op.balanceAfter() != previousBalance + op.delta()) {
          violations.add(
              account
                  + ": history is not one chain at "
                  + op
                  + " (previous balance "
                  + previousBalance
                  + ")");
        }
        previousBalance = op.balanceAfter();
      }
      if (finalVersion > seen.size()) {
        phantom += finalVersion - seen.size();
        violations.add(
            account
                + ": final version "
                + finalVersion
                + " but only "
                + seen.size()
                + " acknowledged operations");
      }
      if (finalBalance != expectedBalance) {
        violations.add(
            account
                + ": final balance "
                + finalBalance
                + " but the acknowledged operations sum to "
                + expectedBalance);
      }
    }
    int incarnations = writers.values().stream().mapToInt(Integer::intValue).sum();
    return new Result(lost, phantom, dualWriters, violations, accounts.size(), incarnations);
  }

  /** The account's state as every live node reports it; all must answer, and agree. */
  private static JsonNode convergedState(
      ForkedCluster cluster,
      List<Node> live,
      String account,
      Duration timeout,
      List<String> violations) {
    JsonNode agreed = null;
    for (Node node : live) {
      AtomicReference<JsonNode> answered = new AtomicReference<>();
      try {
        Awaitility.await(account + " answered through " + node)
            .atMost(timeout)
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(100))
            .dontCatchUncaughtExceptions()
            .until(
                () -> {
                  try {
                    HttpResponse<String> response =
                        cluster.get(node, AccountWorkload.path(account), Duration.ofSeconds(5));
                    if (response.statusCode() == 200) {
                      answered.set(EntityJson.MAPPER.readTree(response.body()));
                    }
                  } catch (IOException e) {
                    // not answering yet: poll again until the deadline
                  }
                  return answered.get() != null;
                });
      } catch (ConditionTimeoutException e) {
        // reported as a violation below
      }
      JsonNode state = answered.get();
      if (state == null) {
        violations.add(account + " does not answer through " + node + " within " + timeout);
        return null;
      }
      if (agreed == null) {
        agreed = state;
      } else if (!agreed.equals(state)) {
        violations.add(account + ": nodes disagree: " + agreed + " vs " + state);
      }
    }
    return agreed;
  }

  /**
   * Reads each account's journal rows from Cassandra: sequence numbers must run 1..n without gaps
   * (a gap is a write that some incarnation believed done and that is not there). Returns how many
   * distinct writers (node incarnations, pekko-persistence-cassandra's writer_uuid) wrote to each
   * account, for the report.
   */
  private static Map<String, Integer> journalCheck(
      String contactPoints, List<String> accounts, List<String> violations) {
    Map<String, Integer> writersPerAccount = new LinkedHashMap<>();
    try (CqlSession cql = session(contactPoints)) {
      for (String account : accounts) {
        // QUORUM, as the journal reads: with replicas, what a majority holds.
        List<Row> rows =
            cql.execute(
                    SimpleStatement.newInstance(
                            "SELECT sequence_nr, writer_uuid FROM starfish.messages"
                                + " WHERE persistence_id = ? AND partition_nr = 0",
                            "account|" + account)
                        .setConsistencyLevel(DefaultConsistencyLevel.QUORUM))
                .all();
        Set<String> writers = new HashSet<>();
        long expected = 1;
        String current = null;
        for (Row row : rows) {
          long sequenceNr = row.getLong("sequence_nr");
          if (sequenceNr == expected - 1) {
            violations.add(account + ": two journal rows with sequence number " + sequenceNr);
          } else if (sequenceNr != expected) {
            violations.add(
                account
                    + ": journal sequence numbers jump from "
                    + (expected - 1)
                    + " to "
                    + sequenceNr);
          }
          expected = sequenceNr + 1;
          // One writer (entity incarnation) hands over to the next for good: a writer that comes
          // back after another one wrote was still writing after it had been replaced.
          String writer = row.getString("writer_uuid");
          if (!writer.equals(current)) {
            if (writers.contains(writer)) {
              violations.add(
                  account
                      + ": writer "
                      + writer
                      + " wrote again at sequence number "
                      + sequenceNr
                      + " after writer "
                      + current
                      + " had taken over");
            }
            writers.add(writer);
            current = writer;
          }
        }
        writersPerAccount.put(account, writers.size());
      }
    }
    return writersPerAccount;
  }

  /** A driver session on {@code contactPoints} ("host:port", comma-separated). */
  public static CqlSession session(String contactPoints) {
    CqlSessionBuilder builder = CqlSession.builder().withLocalDatacenter("datacenter1");
    for (String point : contactPoints.split(",")) {
      int colon = point.lastIndexOf(':');
      builder.addContactPoint(
          new InetSocketAddress(
              point.substring(0, colon).trim(), Integer.parseInt(point.substring(colon + 1))));
    }
    return builder.build();
  }

  /** A random id prefix per scenario, so that scenarios never share an entity. */
  public static String uniquePrefix(String scenario) {
    return scenario + "-" + UUID.randomUUID().toString().substring(0, 6) + "-";
  }
}
