package io.starfish.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.EntityJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /health/alive}: the process runs. {@code GET /health/ready}: every readiness check
 * passes (member Up, sharding started, journal reachable), else 503 naming the failing checks.
 */
public final class HealthRoutes extends AllDirectives {

  private final List<ReadinessCheck> checks;
  private final HttpSettings settings;

  public HealthRoutes(List<ReadinessCheck> checks, HttpSettings settings) {
    this.checks = List.copyOf(checks);
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix(
        "health",
        () ->
            get(
                () ->
                    concat(
                        path("alive", () -> complete(JsonResponses.ok(new Alive("alive")))),
                        path("ready", () -> completeWithFuture(ready())))));
  }

  private CompletionStage<HttpResponse> ready() {
    List<CompletableFuture<Optional<String>>> results = new ArrayList<>();
    for (ReadinessCheck check : checks) {
      CompletableFuture<Optional<String>> result;
      try {
        result = check.check().get().toCompletableFuture();
      } catch (RuntimeException e) {
        result = CompletableFuture.completedFuture(Optional.of("check failed: " + e));
      }
      results.add(result.exceptionally(e -> Optional.of("check failed: " + e.getMessage())));
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<String, String> failing = new LinkedHashMap<>();
              Map<String, String> report = new LinkedHashMap<>();
              for (int i = 0; i < checks.size(); i++) {
                String name = checks.get(i).name();
                Optional<String> problem = results.get(i).join();
                report.put(name, problem.orElse("ok"));
                problem.ifPresent(p -> failing.put(name, p));
              }
              if (failing.isEmpty()) {
                return JsonResponses.ok(new Ready("ready", report));
              }
              ObjectNode extensions = EntityJson.MAPPER.valueToTree(Map.of("checks", report));
              StringBuilder detail = new StringBuilder("not ready: ");
              failing.forEach(
                  (name, why) -> detail.append(name).append(" (").append(why).append("); "));
              return new Problem(
                      "not-ready",
                      "Not ready",
                      503,
                      detail.substring(0, detail.length() - 2),
                      extensions)
                  .toResponse("/health/ready", settings.retryAfterSeconds());
            });
  }

  record Alive(String status) {}

  /** {@code checks}: every check's name and "ok", in the order the checks were given. */
  record Ready(String status, Map<String, String> checks) {}
}
