package io.starfish.runtime.internal;

import io.starfish.http.HttpSettings;
import io.starfish.http.StarfishHttpServer;
import io.starfish.persistence.JournalCircuit;
import io.starfish.supervision.BackoffSettings;
import io.starfish.supervision.Supervision;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's runtime services, each a child of one guardian ({@code /system/starfish-services}) and
 * each restarted with backoff when it fails, with an ERROR log naming it: the HTTP server (which
 * binds again, with backoff, when its binding is terminated while the node is not shutting down, or
 * when binding again fails; Pekko HTTP signals the end of a binding only through terminate/unbind,
 * so this does not cover a listening socket that dies silently) and the journal monitor (which
 * probes Cassandra so that an idle node also notices an outage). Sharding regions and the Cassandra
 * session live under Pekko's own supervisors (the sharding guardian, the session registry).
 */
public final class NodeServices {

  private static final Logger log = LoggerFactory.getLogger(NodeServices.class);

  /** Backoff of a failed service: soon at first, then at most every 10 s. */
  static final BackoffSettings SERVICE_BACKOFF =
      new BackoffSettings(Duration.ofMillis(500), Duration.ofSeconds(10), 0.2);

  private NodeServices() {}

  /**
   * Starts the services; completes with the HTTP server's first binding, or fails if that first
   * bind fails (a port in use should stop the node with a clear error, not retry forever).
   */
  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system, Route routes, HttpSettings http, Duration journalCheckInterval) {
    CompletableFuture<ServerBinding> firstBinding = new CompletableFuture<>();
    Behavior<Void> guardian =
        Behaviors.setup(
            context -> {
              context.spawn(
                  Supervision.restartWithBackoff(
                      httpServer(routes, http, firstBinding), SERVICE_BACKOFF),
                  "http-server");
              context.spawn(
                  Supervision.restartWithBackoff(
                      journalMonitor(journalCheckInterval), SERVICE_BACKOFF),
                  "journal-monitor");
              return Behaviors.empty();
            });
    system.systemActorOf(guardian, "starfish-services", Props.empty());
    return firstBinding;
  }

  private sealed interface HttpEvent {}

  private record Bound(ServerBinding binding) implements HttpEvent {}

  private record BindFailed(Throwable cause) implements HttpEvent {}

  private record BindingEnded() implements HttpEvent {}

  static Behavior<HttpEvent> httpServer(
      Route routes, HttpSettings http, CompletableFuture<ServerBinding> firstBinding) {
    return Behaviors.setup(
        context -> {
          context.pipeToSelf(
              StarfishHttpServer.bind(context.getSystem(), routes, http),
              (binding, failure) -> failure == null ? new Bound(binding) : new BindFailed(failure));
          return Behaviors.receive(HttpEvent.class)
              .onMessage(
                  Bound.class,
                  bound -> {
                    if (!firstBinding.complete(bound.binding())) {
                      log.info("HTTP server bound again after a failure");
                    }
                    context.pipeToSelf(
                        bound.binding().whenTerminated(), (done, failure) -> new BindingEnded());
                    return Behaviors.same();
                  })
              .onMessage(
                  BindFailed.class,
                  failed -> {
                    if (firstBinding.completeExceptionally(failed.cause())) {
                      return Behaviors.stopped();
                    }
                    throw new IllegalStateException(
                        "HTTP server could not bind " + http.host() + ":" + http.port(),
                        failed.cause());
                  })
              .onMessage(
                  BindingEnded.class,
                  ended -> {
                    if (shuttingDown(context.getSystem())) {
                      return Behaviors.stopped();
                    }
                    throw new IllegalStateException(
                        "HTTP server binding ended while the node is running; binding again");
                  })
              .build();
        });
  }

  private enum Tick {
    INSTANCE
  }

  /**
   * Probes the journal through {@link JournalCircuit#check()} (two failed probes in a row open the
   * circuit); readiness requests probe as well, this covers a node nobody asks.
   */
  static Behavior<Tick> journalMonitor(Duration interval) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  JournalCircuit circuit = JournalCircuit.get(context.getSystem());
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
                  return Behaviors.receive(Tick.class)
                      .onMessage(
                          Tick.class,
                          tick -> {
                            if (!circuit.isOpen()) {
                              circuit.check();
                            }
                            return Behaviors.same();
                          })
                      .build();
                }));
  }

  private static boolean shuttingDown(ActorSystem<?> system) {
    return CoordinatedShutdown.get(system).getShutdownReason().isPresent();
  }
}
