package io.starfish.http;

import io.starfish.http.internal.RequestBodies;
import io.starfish.observability.StarfishMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the API's routes and makes every error a problem+json answer: Pekko's rejections (404, 405,
 * 413, ...) keep their status and text as the problem's detail, and an unexpected exception becomes
 * a 500 whose body carries no stack trace. The binding is released in CoordinatedShutdown.
 */
public final class StarfishHttpServer extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(StarfishHttpServer.class);

  private StarfishHttpServer() {}

  /** The routes with the error handling every route of the API shares. */
  public static Route withProblemHandling(Route routes, HttpSettings settings) {
    StarfishHttpServer d = new StarfishHttpServer();
    RejectionHandler rejections =
        RejectionHandler.defaultHandler()
            .mapRejectionResponse(response -> asProblem(response, settings));
    ExceptionHandler exceptions =
        ExceptionHandler.newBuilder()
            .matchAny(
                e -> {
                  log.error("unhandled exception in a route", e);
                  return d.complete(
                      Problem.internal().toResponse(null, settings.retryAfterSeconds()));
                })
            .build();
    return RequestBodies.drainingUnread(
        () -> d.handleExceptions(exceptions, () -> d.handleRejections(rejections, () -> routes)));
  }

  /**
   * Binds the routes and registers their unbinding with CoordinatedShutdown: new connections are
   * refused at service-unbind, in-flight requests get until service-requests-done to finish.
   */
  public static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system, Route routes, HttpSettings settings) {
    // Timed outside the error handling, so that each request counts with the status it ends with.
    Route all =
        new MetricsRoutes(StarfishMetrics.get(system))
            .measured(withProblemHandling(routes, settings));
    ServerBuilder server = Http.get(system).newServerAt(settings.host(), settings.port());
    if (settings.tls().enabled()) {
      server =
          server.enableHttps(ConnectionContext.httpsServer(TlsContexts.server(settings.tls())));
    }
    return server
        .bind(all)
        .thenApply(
            binding -> {
              log.info(
                  "HTTP API listening on {}://{}:{}",
                  settings.scheme(),
                  settings.host(),
                  binding.localAddress().getPort());
              CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
              // Readiness already answers 503 once shutdown has begun; keep serving meanwhile, so
              // that whoever routes by readiness moves away before the port closes.
              if (!settings.shutdownDrain().isZero()) {
                shutdown.addTask(
                    CoordinatedShutdown.PhaseBeforeServiceUnbind(),
                    "starfish-http-drain-before-unbind",
                    () -> {
                      log.info(
                          "shutting down: not ready, still serving for {} ms before unbinding",
                          settings.shutdownDrain().toMillis());
                      return org.apache.pekko.pattern.Patterns.after(
                          settings.shutdownDrain(),
                          system.classicSystem().scheduler(),
                          system.executionContext(),
                          () -> CompletableFuture.completedFuture(Done.getInstance()));
                    });
              }
              shutdown.addTask(
                  CoordinatedShutdown.PhaseServiceUnbind(),
                  "starfish-http-unbind",
                  () -> binding.unbind().thenApply(x -> Done.getInstance()));
              shutdown.addTask(
                  CoordinatedShutdown.PhaseServiceRequestsDone(),
                  "starfish-http-drain",
                  () ->
                      binding.terminate(Duration.ofSeconds(5)).thenApply(x -> Done.getInstance()));
              return binding;
            });
  }

  private static HttpResponse asProblem(HttpResponse response, HttpSettings settings) {
    int status = response.status().intValue();
    String detail = response.status().reason();
    if (response.entity() instanceof HttpEntity.Strict strict) {
      String text = strict.getData().decodeString(StandardCharsets.UTF_8).trim();
      if (!text.isEmpty()) {
        detail = text;
      }
    }
    if (status == 413) {
      detail = "the request body is larger than the limit of " + settings.maxBodyBytes() + " bytes";
    } else if (detail.contains("Exception")) {
      // Pekko's texts sometimes name internal exceptions; clients get the plain reason instead.
      detail = response.status().reason();
    }
    String kind =
        switch (status) {
          case 404 -> "not-found";
          case 405 -> "method-not-allowed";
          case 413 -> "payload-too-large";
          case 415 -> "unsupported-media-type";
          case 400 -> "bad-request";
          default -> "http-" + status;
        };
    HttpResponse problem =
        Problem.of(kind, response.status().reason(), status, detail)
            .toResponse(null, settings.retryAfterSeconds());
    // Keep headers such as Allow (405) from the original answer.
    return problem.addHeaders(response.getHeaders());
  }
}
