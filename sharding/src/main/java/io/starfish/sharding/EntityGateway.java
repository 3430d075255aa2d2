package io.starfish.sharding;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How the HTTP API reaches entities: by type name and id, wherever in the cluster they live. {@link
 * StarfishSharding} implements it with Cluster Sharding; route tests put a probe behind it.
 */
public interface EntityGateway {

  /** The registered entity types. */
  EntityRegistry registry();

  /**
   * Sends a message to entity {@code type}/{@code id} and completes with its answer, or fails with
   * a {@link java.util.concurrent.TimeoutException} after {@code timeout}.
   */
  CompletionStage<EntityResult> ask(
      String type,
      String id,
      Function<ActorRef<EntityResult>, EntityMessage> message,
      Duration timeout);
}
