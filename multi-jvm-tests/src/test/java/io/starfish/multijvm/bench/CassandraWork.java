package io.starfish.multijvm.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one step of a benchmark cost: the CPU time of Cassandra and of the node processes, and the
 * requests Cassandra served per table, read from its own counters (the {@code system_views} latency
 * tables, Cassandra 4+). Take a {@link Snapshot} before and after the step; {@link #between} gives
 * the difference, per unit of work (one activation, say).
 */
final class CassandraWork implements AutoCloseable {

  private final CqlSession cql;

  CassandraWork(String contactPoint) {
    int colon = contactPoint.lastIndexOf(':');
    this.cql =
        CqlSession.builder()
            .addContactPoint(
                new InetSocketAddress(
                    contactPoint.substring(0, colon),
                    Integer.parseInt(contactPoint.substring(colon + 1))))
            .withLocalDatacenter("datacenter1")
            .build();
  }

  /** Counters and CPU times at one moment. */
  record Snapshot(Map<String, Long> counts, long cassandraCpuNanos, long nodesCpuNanos) {}

  /**
   * Per unit of work between two snapshots: CPU milliseconds, and requests per table ("read
   * ks.table", "write ks.table"; the Paxos rounds of lightweight transactions show as writes of
   * system.paxos, three rows per round with Cassandra's original Paxos).
   */
  record PerUnit(double cassandraCpuMs, double nodesCpuMs, Map<String, Double> requests) {

    /** e.g. "read messages 2.0, read metadata 1.0, write paxos 3.0". */
    String requestSummary() {
      StringBuilder s = new StringBuilder();
      requests.forEach(
          (what, n) -> {
            if (n >= 0.05) {
              s.append(s.length() == 0 ? "" : ", ")
                  .append(what.replaceFirst(" [^ .]+\\.", " "))
                  .append(' ')
                  .append(String.format(Locale.ROOT, "%.1f", n));
            }
          });
      return s.toString();
    }

    double total() {
      return requests.values().stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  Snapshot snapshot(long cassandraPid, List<Long> nodePids) {
    Map<String, Long> counts = new HashMap<>();
    // Coordinator reads: each read request a client sent (a lightweight transaction's own read of
    // the partition is one too). Local writes: each mutation applied, the Paxos rows included
    // (coordinator writes would miss the lightweight transactions, which Cassandra counts apart).
    count(counts, "read", "coordinator_read_latency");
    count(counts, "write", "local_write_latency");
    return new Snapshot(
        counts, cpuNanos(List.of(cassandraPid)), nodePids.isEmpty() ? 0 : cpuNanos(nodePids));
  }

  /** Only tables of {@code keyspacePrefix} (the step's own keyspaces) and system.paxos. */
  static PerUnit between(Snapshot before, Snapshot after, long units, String keyspacePrefix) {
    Map<String, Double> requests = new TreeMap<>();
    after
        .counts()
        .forEach(
            (key, count) -> {
              String table = key.substring(key.indexOf(' ') + 1);
              boolean ours =
                  table.startsWith(keyspacePrefix + ".")
                      || table.startsWith(keyspacePrefix + "_snapshot.")
                      || table.equals("system.paxos");
              long delta = count - before.counts().getOrDefault(key, 0L);
              if (ours && delta > 0) {
                requests.put(key, delta / (double) units);
              }
            });
    return new PerUnit(
        (after.cassandraCpuNanos() - before.cassandraCpuNanos()) / 1e6 / units,
        (after.nodesCpuNanos() - before.nodesCpuNanos()) / 1e6 / units,
        requests);
  }

  private void count(Map<String, Long> counts, String kind, String view) {
    for (Row row :
        cql.execute("SELECT keyspace_name, table_name, count FROM system_views." + view)) {
      long count = ((Number) row.getObject("count")).longValue();
      if (count > 0) {
        counts.put(
            kind + " " + row.getString("keyspace_name") + "." + row.getString("table_name"), count);
      }
    }
  }

  private static long cpuNanos(List<Long> pids) {
    long total = 0;
    for (long pid : pids) {
      total +=
          ProcessHandle.of(pid)
              .flatMap(p -> p.info().totalCpuDuration())
              .map(Duration::toNanos)
              .orElse(0L);
    }
    return total;
  }

  @Override
  public void close() {
    cql.close();
  }
}
