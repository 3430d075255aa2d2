package io.starfish.sharding.internal;

import io.starfish.observability.EntityTelemetry;
import io.starfish.persistence.JournalCircuit;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.supervision.FailureStatistics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;

/**
 * One ask to an entity through Cluster Sharding, as the node's gateway makes it: commands fail fast
 * while the journal is down, and each command's latency and outcome is recorded.
 */
public final class EntityAsk {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final JournalCircuit circuit;
  private final FailureStatistics statistics;
  private final EntityTelemetry telemetry;

  public EntityAsk(ActorSystem<?> system) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.circuit = JournalCircuit.get(system);
    this.statistics = FailureStatistics.get(system);
    this.telemetry = EntityTelemetry.get(system);
  }

  public CompletionStage<EntityResult> ask(
      EntityRef<EntityMessage> entity,
      String type,
      Function<ActorRef<EntityResult>, EntityMessage> message,
      Duration timeout) {
    // Built once, with a placeholder reply-to, to tell commands from reads; the ask rebinds it.
    EntityMessage built = message.apply(system.ignoreRef());
    if (!(built instanceof EntityMessage.Execute execute)) {
      return entity.ask(
          (ActorRef<EntityResult> replyTo) -> rebind(built, replyTo, message), timeout);
    }
    if (circuit.isOpen()) {
      // Fail fast while the journal is down: a command could not be persisted, and the entity is
      // likely restarting. Reads still go through: a live entity answers from memory.
      statistics.breakerRejection(type);
      telemetry.command(type, "unavailable", 0);
      return CompletableFuture.completedFuture(
          new EntityResult.Unavailable(
              "the journal (Cassandra) is unreachable; commands are refused until it answers"
                  + " again: "
                  + circuit.openReason().orElse("")));
    }
    long started = System.nanoTime();
    CompletionStage<EntityResult> asked =
        entity.ask(
            replyTo ->
                new EntityMessage.Execute(execute.command(), execute.idempotencyKey(), replyTo),
            timeout);
    // Recorded where the answer arrives, before the caller sees it: a whenComplete stage on
    // Pekko's future would be a hop to the common pool per command (docs/benchmarks.md, section
    // 10.2); Pekko HTTP unwraps the future returned here without a stage.
    return FutureConverters.asJava(
        FutureConverters.asScala(asked)
            .transform(
                outcome -> {
                  telemetry.command(
                      type,
                      outcome.isSuccess()
                          ? outcomeName(outcome.get(), null)
                          : outcomeName(null, outcome.failed().get()),
                      System.nanoTime() - started);
                  return outcome;
                },
                ExecutionContext.parasitic$.MODULE$));
  }

  /** {@code built} with the ask's reply-to; other message kinds are built again by the factory. */
  private static EntityMessage rebind(
      EntityMessage built,
      ActorRef<EntityResult> replyTo,
      Function<ActorRef<EntityResult>, EntityMessage> message) {
    return built instanceof EntityMessage.GetState
        ? new EntityMessage.GetState(replyTo)
        : message.apply(replyTo);
  }

  /** The label of a command's outcome in the starfish_entity_commands metric. */
  public static String outcomeName(EntityResult result, Throwable failure) {
    if (failure != null) {
      return failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
          ? "timeout"
          : "failed";
    }
    if (result instanceof EntityResult.Accepted) {
      return "accepted";
    } else if (result instanceof EntityResult.Repeated) {
      return "repeated";
    } else if (result instanceof EntityResult.Rejected) {
      return "rejected";
    } else if (result instanceof EntityResult.Invalid) {
      return "invalid";
    } else if (result instanceof EntityResult.Unavailable) {
      return "unavailable";
    } else if (result instanceof EntityResult.Quarantined) {
      return "quarantined";
    } else if (result instanceof EntityResult.KeyReused) {
      return "key-reused";
    }
    return "other";
  }
}
