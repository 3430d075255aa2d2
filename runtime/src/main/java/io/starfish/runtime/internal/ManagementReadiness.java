package io.starfish.runtime.internal;

import io.starfish.http.ReadinessCheck;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Pekko Management's readiness ({@code GET /ready} on the management port, which Kubernetes probes
 * may use) answers as Starfish's own {@code /health/ready}: true only when every Starfish readiness
 * check holds. Registered in node.conf under {@code
 * pekko.management.health-checks.readiness-checks}; Pekko Management creates it with the classic
 * system. Until the node has started its services (the journal warm-up comes first) it is not
 * ready.
 */
public final class ManagementReadiness implements Supplier<CompletionStage<Boolean>> {

  /** The node's readiness checks, once {@link #register} has been called. */
  public static final class Checks implements Extension {
    private final AtomicReference<List<ReadinessCheck>> checks = new AtomicReference<>();
  }

  private static final ExtensionId<Checks> CHECKS =
      new ExtensionId<>() {
        @Override
        public Checks createExtension(ActorSystem<?> system) {
          return new Checks();
        }
      };

  private final ActorSystem<?> system;

  public ManagementReadiness(org.apache.pekko.actor.ActorSystem system) {
    this.system = Adapter.toTyped(system);
  }

  /** Called by the node once its readiness checks exist. */
  public static void register(ActorSystem<?> system, List<ReadinessCheck> checks) {
    CHECKS.apply(system).checks.set(List.copyOf(checks));
  }

  @Override
  public CompletionStage<Boolean> get() {
    List<ReadinessCheck> checks = CHECKS.apply(system).checks.get();
    if (checks == null) {
      return CompletableFuture.completedFuture(false);
    }
    List<CompletableFuture<Optional<String>>> results =
        checks.stream().map(check -> check.check().get().toCompletableFuture()).toList();
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(done -> results.stream().allMatch(result -> result.join().isEmpty()));
  }
}
