package io.starfish.sharding.internal;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code starfish.timers} settings (sharding's reference.conf documents each).
 *
 * @param index "cassandra" or "in-memory"
 * @param createTables whether nodes create the index table themselves
 * @param keyspace where the index table lives (the journal's keyspace)
 * @param slices how many partitions the index is spread over (a data layout: never change it once
 *     rows exist)
 * @param sweepers how many sweepers share the slices (one per node at most is useful)
 * @param pollInterval how often a sweeper looks for due timers in a slice that has some
 * @param idlePollInterval how long a slice with nothing known to fall due goes unread
 * @param settleWindow how far behind the clock a sweeper keeps re-reading
 * @param fireTimeout how long one delivery waits for the entity's answer
 * @param maxInFlight deliveries one sweeper waits for at once
 * @param retryAfter how long a delivery that got no definite answer waits before the next
 * @param pendingCountInterval how often a sweeper counts its slices' rows for the pending gauge
 *     (zero: never)
 */
public record TimerSettings(
    String index,
    boolean createTables,
    String keyspace,
    int slices,
    int sweepers,
    Duration pollInterval,
    Duration idlePollInterval,
    Duration settleWindow,
    Duration fireTimeout,
    int maxInFlight,
    Duration retryAfter,
    Duration pendingCountInterval) {

  private static boolean createTables(Config config, String value) {
    return switch (value) {
      case "auto" -> config.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate");
      case "on", "true", "yes" -> true;
      case "off", "false", "no" -> false;
      default ->
          throw new IllegalArgumentException(
              "starfish.timers.create-tables must be auto, on or off, was " + value);
    };
  }

  public static TimerSettings create(Config config) {
    Config timers = config.getConfig("starfish.timers");
    return new TimerSettings(
        timers.getString("index"),
        createTables(config, timers.getString("create-tables")),
        config.getString("pekko.persistence.cassandra.journal.keyspace"),
        timers.getInt("slices"),
        timers.getInt("sweepers"),
        timers.getDuration("poll-interval"),
        timers.getDuration("idle-poll-interval"),
        timers.getDuration("settle-window"),
        timers.getDuration("fire-timeout"),
        timers.getInt("max-in-flight"),
        timers.getDuration("retry-after"),
        timers.getDuration("pending-count-interval"));
  }
}
