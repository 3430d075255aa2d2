package io.starfish.sharding.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TimerIndex} of an actor system ({@code starfish.timers.index}), created once; the
 * Cassandra one on the journal's session, with its table created first when {@code
 * starfish.timers.create-tables} is on.
 */
final class TimerIndexes implements Extension {

  private static final Logger log = LoggerFactory.getLogger(TimerIndexes.class);
  private static final Id ID = new Id();

  private final TimerIndex index;
  private final TimerSettings settings;

  private TimerIndexes(TimerIndex index, TimerSettings settings) {
    this.index = index;
    this.settings = settings;
  }

  static TimerIndexes get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  TimerIndex index() {
    return index;
  }

  TimerSettings settings() {
    return settings;
  }

  private static final class Id extends ExtensionId<TimerIndexes> {
    @Override
    public TimerIndexes createExtension(ActorSystem<?> system) {
      TimerSettings settings = TimerSettings.create(system.settings().config());
      if (settings.index().equals("in-memory")) {
        return new TimerIndexes(new InMemoryTimerIndex(), settings);
      }
      if (!settings.index().equals("cassandra")) {
        throw new IllegalArgumentException(
            "starfish.timers.index must be cassandra or in-memory, was " + settings.index());
      }
      var session =
          CassandraSessionRegistry.get(system.classicSystem())
              .sessionFor("pekko.persistence.cassandra");
      CompletionStage<Done> ready =
          settings.createTables()
              ? session.executeDDL(CassandraTimerIndex.createStatement(settings.keyspace()))
              : CompletableFuture.completedFuture(Done.getInstance());
      CassandraTimerIndex cassandra = new CassandraTimerIndex(session, settings.keyspace());
      // Every use waits for the table; a failed creation (another node may be creating it) is
      // logged, and the uses then fail or succeed on their own.
      CompletionStage<Done> created =
          ready.exceptionally(
              failure -> {
                log.warn("could not create the timer index table: {}", failure.toString());
                return Done.getInstance();
              });
      return new TimerIndexes(new AfterCreation(cassandra, created), settings);
    }
  }

  /** An index whose operations wait until its table exists. */
  private record AfterCreation(TimerIndex index, CompletionStage<Done> created)
      implements TimerIndex {
    @Override
    public CompletionStage<Done> add(Row row) {
      return created.thenCompose(d -> index.add(row));
    }

    @Override
    public CompletionStage<Done> remove(Row row) {
      return created.thenCompose(d -> index.remove(row));
    }

    @Override
    public CompletionStage<java.util.List<Row>> due(
        int slice, long fromMillis, long toMillis, int limit) {
      return created.thenCompose(d -> index.due(slice, fromMillis, toMillis, limit));
    }

    @Override
    public CompletionStage<Long> count(int slice) {
      return created.thenCompose(d -> index.count(slice));
    }
  }
}
