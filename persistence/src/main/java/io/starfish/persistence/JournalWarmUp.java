package io.starfish.persistence;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms up the journal and snapshot plugins before this node hosts any shard: one probe entity that
 * was never written recovers through them, which starts the plugins, opens the Cassandra session
 * and prepares the statements every real recovery needs. Without it, the first entities that
 * sharding moves to a freshly started node (a rolling restart, a scale-out) wait seconds for that
 * start while their callers time out.
 */
public final class JournalWarmUp {

  private static final Logger log = LoggerFactory.getLogger(JournalWarmUp.class);

  private JournalWarmUp() {}

  /** A probe recovery this fast means the path is warm (plugins started, code compiled). */
  static final Duration FAST_ENOUGH = Duration.ofMillis(150);

  /** At most this many probe recoveries, one after another. */
  static final int MAX_ROUNDS = 40;

  /**
   * Recovers probes one after another until one takes at most {@link #FAST_ENOUGH} (a freshly
   * started JVM on a busy machine needs many seconds for its first recoveries, and a few rounds
   * until the code is compiled), at most {@link #MAX_ROUNDS} rounds or {@code timeout} in all.
   * Completes then in any case (logged; the node goes on, so that it still starts, and reports the
   * journal in its readiness, while Cassandra is down).
   */
  public static CompletionStage<Done> run(
      ActorSystem<?> system, String nodeName, Duration timeout) {
    long started = System.nanoTime();
    long deadline = started + timeout.toNanos();
    CompletableFuture<Integer> rounds = new CompletableFuture<>();
    round(system, nodeName, 1, deadline, rounds);
    return rounds
        .completeOnTimeout(-1, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .thenApply(
            count -> {
              long millis = (System.nanoTime() - started) / 1_000_000;
              if (count < 0) {
                log.warn(
                    "journal not warmed up within {} ms; starting anyway (readiness reports the"
                        + " journal until Cassandra answers)",
                    millis);
              } else {
                log.info(
                    "journal and snapshot store warmed up in {} ms ({} probe recoveries)",
                    millis,
                    count);
              }
              return Done.getInstance();
            });
  }

  private static void round(
      ActorSystem<?> system,
      String nodeName,
      int round,
      long deadline,
      CompletableFuture<Integer> rounds) {
    if (rounds.isDone()) {
      return;
    }
    long started = System.nanoTime();
    recoverOnce(system, nodeName, round)
        .whenComplete(
            (done, failure) -> {
              boolean fast = System.nanoTime() - started <= FAST_ENOUGH.toNanos();
              if (fast || round >= MAX_ROUNDS || System.nanoTime() > deadline) {
                rounds.complete(round);
              } else {
                round(system, nodeName, round + 1, deadline, rounds);
              }
            });
  }

  /** One probe entity recovers (nothing to replay) and stops. */
  private static CompletionStage<Done> recoverOnce(
      ActorSystem<?> system, String nodeName, int round) {
    CompletableFuture<Done> recovered = new CompletableFuture<>();
    Behavior<Object> probe =
        Behaviors.<Object>supervise(
                Behaviors.setup(
                    context ->
                        new Probe(
                            PersistenceId.of("starfish-warm-up", nodeName), recovered, context)))
            .onFailure(
                SupervisorStrategy.restartWithBackoff(
                    Duration.ofMillis(200), Duration.ofSeconds(2), 0.2));
    system.systemActorOf(probe, "starfish-journal-warm-up-" + round, Props.empty());
    return recovered;
  }

  private enum Stop {
    INSTANCE
  }

  /** Recovers once (nothing to replay), reports it, and stops. */
  private static final class Probe extends EventSourcedBehavior<Object, Object, Done> {

    private final CompletableFuture<Done> recovered;
    private final ActorContext<Object> context;

    Probe(
        PersistenceId persistenceId,
        CompletableFuture<Done> recovered,
        ActorContext<Object> context) {
      super(
          persistenceId,
          SupervisorStrategy.restartWithBackoff(
              Duration.ofMillis(200), Duration.ofSeconds(2), 0.2));
      this.recovered = recovered;
      this.context = context;
    }

    @Override
    public Done emptyState() {
      return Done.getInstance();
    }

    @Override
    public CommandHandler<Object, Object, Done> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Stop.class, stop -> Effect().stop())
          .onAnyCommand(command -> Effect().none());
    }

    @Override
    public EventHandler<Done, Object> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state);
    }

    @Override
    public SignalHandler<Done> signalHandler() {
      return newSignalHandlerBuilder()
          .onSignal(
              RecoveryCompleted.class,
              (state, signal) -> {
                recovered.complete(Done.getInstance());
                // Stop through a command: a signal handler cannot change the behaviour.
                context.getSelf().tell(Stop.INSTANCE);
              })
          .build();
    }
  }
}
