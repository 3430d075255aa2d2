package io.starfish.persistence.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** Configuration for unit tests: Pekko's in-memory journal and snapshot store, no Cassandra. */
public final class InMemoryPersistence {

  private InMemoryPersistence() {}

  public static Config config() {
    return ConfigFactory.parseString(
            "pekko.persistence.journal.auto-start-journals = []\n"
                + "pekko.persistence.snapshot-store.auto-start-snapshot-stores = []\n"
                // events and snapshots go through their serializers, as in Cassandra: a restart
                // reads what the real journal would give back (stored names, migrations)
                + "pekko.persistence.testkit.events.serialize = on\n"
                + "pekko.persistence.testkit.snapshots.serialize = on\n"
                // no Cassandra: timers are found due in memory
                + "starfish.timers.index = in-memory\n")
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }
}
