package io.starfish.persistence;

import io.starfish.supervision.FailureStatistics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of whether the journal (Cassandra) can be written: a circuit breaker in front of
 * the entities. It opens when an entity's journal write or read fails and a probe of Cassandra
 * confirms the outage (or two readiness probes in a row fail); while it is open, entity commands
 * are refused at once with "unavailable" instead of waiting for their timeout, and readiness
 * reports the journal as down. A probe every {@code starfish.persistence.circuit.probe-interval}
 * closes it as soon as Cassandra answers again. (Pekko's own journal circuit breaker, configured in
 * reference.conf, additionally makes writes fail fast inside the journal.)
 */
public final class JournalCircuit implements Extension {

  private static final Logger log = LoggerFactory.getLogger(JournalCircuit.class);

  /** The name under which {@link FailureStatistics} lists this breaker while it is open. */
  public static final String BREAKER = "journal";

  private static final ExtensionId<JournalCircuit> ID =
      new ExtensionId<>() {
        @Override
        public JournalCircuit createExtension(ActorSystem<?> system) {
          return new JournalCircuit(system, defaultProbe(system));
        }
      };

  private record Open(String reason, long sinceNanos) {}

  private final ActorSystem<?> system;
  private final Supplier<CompletionStage<Optional<String>>> probe;
  private final Duration probeInterval;
  private final FailureStatistics statistics;
  private volatile Open open;
  private final AtomicBoolean probing = new AtomicBoolean();
  private final AtomicInteger failedReadinessProbes = new AtomicInteger();

  JournalCircuit(ActorSystem<?> system, Supplier<CompletionStage<Optional<String>>> probe) {
    this.system = system;
    this.probe = probe;
    this.probeInterval = PersistenceSettings.create(system).circuitProbeInterval();
    this.statistics = FailureStatistics.get(system);
  }

  public static JournalCircuit get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Probes Cassandra when the journal is Cassandra; other journals (tests) cannot be down. */
  private static Supplier<CompletionStage<Optional<String>>> defaultProbe(ActorSystem<?> system) {
    String plugin = system.settings().config().getString("pekko.persistence.journal.plugin");
    if (!plugin.startsWith("pekko.persistence.cassandra")) {
      return () -> CompletableFuture.completedFuture(Optional.empty());
    }
    JournalHealth health = JournalHealth.create(system);
    return health::check;
  }

  /** Why the journal is considered down, if it is. */
  public Optional<String> openReason() {
    Open current = open;
    return current == null
        ? Optional.empty()
        : Optional.of(
            current.reason()
                + " (for "
                + Duration.ofNanos(System.nanoTime() - current.sinceNanos()).toSeconds()
                + " s)");
  }

  public boolean isOpen() {
    return open != null;
  }

  /**
   * An entity's journal write or read failed: probe Cassandra now, and open the circuit if the
   * probe fails too. A single failed write while Cassandra answers (e.g. one timeout under load)
   * leaves it closed.
   */
  public void recordFailure(Throwable failure) {
    if (open != null || !probing.compareAndSet(false, true)) {
      return;
    }
    probeSafely()
        .whenComplete(
            (problem, error) -> {
              probing.set(false);
              Optional<String> reason = error != null ? Optional.of(error.toString()) : problem;
              if (reason.isPresent()) {
                openCircuit(reason.get() + "; last entity failure: " + failure);
              }
            });
  }

  /**
   * For readiness: empty if the journal can be reached, else why not. Two failed probes in a row
   * open the circuit (so an idle node also notices an outage).
   */
  public CompletionStage<Optional<String>> check() {
    if (open != null) {
      return CompletableFuture.completedFuture(openReason());
    }
    return probeSafely()
        .thenApply(
            problem -> {
              if (problem.isEmpty()) {
                failedReadinessProbes.set(0);
              } else if (failedReadinessProbes.incrementAndGet() >= 2) {
                openCircuit(problem.get());
              }
              return problem;
            });
  }

  /** The probe's answer; a probe that throws or fails counts as "unreachable", never escapes. */
  private CompletionStage<Optional<String>> probeSafely() {
    CompletionStage<Optional<String>> answer;
    try {
      answer = probe.get();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.handle(
        (problem, error) ->
            error != null ? Optional.of("journal probe failed: " + error) : problem);
  }

  private synchronized void openCircuit(String reason) {
    if (open != null) {
      return;
    }
    open = new Open(reason, System.nanoTime());
    statistics.breakerOpened(BREAKER);
    log.warn(
        "journal circuit OPEN: {}. Entity commands are refused with 503 until Cassandra answers"
            + " again (probing every {} ms)",
        reason,
        probeInterval.toMillis());
    scheduleProbe();
  }

  private void scheduleProbe() {
    system
        .scheduler()
        .scheduleOnce(
            probeInterval,
            () ->
                probeSafely()
                    .whenComplete(
                        (problem, error) -> {
                          if (error == null && problem.isEmpty()) {
                            close();
                          } else {
                            scheduleProbe();
                          }
                        }),
            system.executionContext());
  }

  private synchronized void close() {
    Open was = open;
    if (was == null) {
      return;
    }
    open = null;
    failedReadinessProbes.set(0);
    statistics.breakerClosed(BREAKER);
    log.info(
        "journal circuit CLOSED: Cassandra answers again after {} ms; entities resume",
        Duration.ofNanos(System.nanoTime() - was.sinceNanos()).toMillis());
  }
}
