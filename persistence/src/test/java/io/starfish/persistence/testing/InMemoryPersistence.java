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
                + "pekko.persistence.snapshot-store.auto-start-snapshot-stores = []\n")
        .withFallback(EventSourcedBehaviorTestKit.config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.load());
  }
}
