package io.starfish.persistence;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Asks Cassandra a trivial question, with the journal's driver settings, to tell readiness whether
 * the journal can be reached right now.
 */
public final class JournalHealth {

  /** A copy of the journal's session settings under a path of its own (see reference.conf). */
  static final String SESSION_CONFIG_PATH = "starfish.persistence.health-check-session";

  private final CassandraSession session;
  private final Duration timeout;

  private JournalHealth(CassandraSession session, Duration timeout) {
    this.session = session;
    this.timeout = timeout;
  }

  public static JournalHealth create(ActorSystem<?> system) {
    CassandraSession session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH);
    return new JournalHealth(session, PersistenceSettings.create(system).healthCheckTimeout());
  }

  /** Completes with empty when Cassandra answered, or with the reason it did not. */
  public CompletionStage<Optional<String>> check() {
    CompletableFuture<Optional<String>> answer =
        session
            .selectOne("SELECT release_version FROM system.local")
            .toCompletableFuture()
            .thenApply(row -> Optional.<String>empty());
    return answer
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .exceptionally(
            failure -> {
              Throwable cause =
                  failure instanceof java.util.concurrent.CompletionException
                          && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof TimeoutException) {
                return Optional.of("Cassandra did not answer within " + timeout.toMillis() + " ms");
              }
              return Optional.of("Cassandra unreachable: " + cause.getClass().getSimpleName());
            });
  }
}
