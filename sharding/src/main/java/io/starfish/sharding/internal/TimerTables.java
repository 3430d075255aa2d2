package io.starfish.sharding.internal;

/** The CQL of the durable timers' index table, for the production schema. */
public final class TimerTables {

  private TimerTables() {}

  /** Creates {@code starfish_timers} in {@code keyspace}, which must exist. */
  public static String createStatement(String keyspace) {
    return CassandraTimerIndex.createStatement(keyspace);
  }
}
