package io.starfish.runtime.dev.internal;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Remembered entities are stored per shard, so data written with one number of shards must not be
 * used with another: an entity would be restarted in a shard that no longer owns its id, next to a
 * second copy in the right one. The number is recorded next to the data on first use and checked on
 * every start. (Data from before the record existed used 100 shards.)
 */
public final class ShardLayout {

  /** Shards per entity type of dev data written before the number was recorded. */
  private static final int LEGACY_NUMBER_OF_SHARDS = 100;

  private ShardLayout() {}

  /**
   * Fails with an IllegalStateException if the data in {@code home} was written with another number
   * of shards than this build's; records the number if it is not recorded yet.
   */
  public static void check(Path home, Path cassandraHome) throws IOException {
    int configured = ConfigFactory.load().getInt("pekko.cluster.sharding.number-of-shards");
    Path record = home.resolve("number-of-shards");
    boolean hasData = Files.isDirectory(cassandraHome);
    int stored;
    if (Files.exists(record)) {
      stored = Integer.parseInt(Files.readString(record).trim());
    } else if (hasData) {
      stored = LEGACY_NUMBER_OF_SHARDS;
    } else {
      Files.writeString(record, configured + "\n");
      return;
    }
    if (stored != configured) {
      throw new IllegalStateException(
          "the data in "
              + home
              + " was written with "
              + stored
              + " shards per entity type, this build uses "
              + configured
              + ". Remembered entities would be restarted in the wrong shards. Either delete "
              + home
              + " (dev data is lost) or start with"
              + " JAVA_TOOL_OPTIONS=-Dpekko.cluster.sharding.number-of-shards="
              + stored);
    }
    if (!Files.exists(record)) {
      Files.writeString(record, configured + "\n");
    }
  }
}
