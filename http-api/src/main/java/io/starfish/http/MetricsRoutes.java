package io.starfish.http;

import io.micrometer.core.instrument.Timer;
import io.starfish.observability.StarfishMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /metrics}: every meter of the node in the Prometheus text format; and {@link
 * #measured}, which times every HTTP request by route template, method and status
 * (starfish_http_requests).
 */
public final class MetricsRoutes extends AllDirectives {

  private static final Set<String> METHODS =
      Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");

  private final StarfishMetrics metrics;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  public MetricsRoutes(StarfishMetrics metrics) {
    this.metrics = metrics;
  }

  public Route route() {
    return path(
        "metrics",
        () ->
            get(
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(ContentTypes.TEXT_PLAIN_UTF8, metrics.scrape()))));
  }

  /**
   * {@code inner}, with each request's time to its response (headers) recorded. Wrap the routes
   * with their error handling inside, so that a rejection is counted with the status it ends with.
   */
  public Route measured(Route inner) {
    return extractRequest(
        request -> {
          long started = System.nanoTime();
          String route = routeOf(request.getUri().path());
          String method = request.method().value();
          String methodLabel = METHODS.contains(method) ? method : "OTHER";
          return mapResponse(
              response -> {
                timer(route, methodLabel, response.status().intValue())
                    .record(Duration.ofNanos(System.nanoTime() - started));
                return response;
              },
              () -> inner);
        });
  }

  private Timer timer(String route, String method, int status) {
    return timers.computeIfAbsent(
        route + ' ' + method + ' ' + status,
        key ->
            metrics.latency(
                "starfish.http.requests",
                "HTTP requests served by this node, by route template, method and status",
                "route",
                route,
                "method",
                method,
                "status",
                Integer.toString(status)));
  }

  /**
   * The route template of a path, so that ids do not become label values (one series per entity
   * would be unbounded); paths outside the API are all "unmatched".
   */
  static String routeOf(String path) {
    String[] s = path.startsWith("/") ? path.substring(1).split("/", -1) : path.split("/", -1);
    if (path.equals("/") || path.isEmpty()) {
      return "/";
    }
    if (s.length == 1 && s[0].equals("metrics")) {
      return "/metrics";
    }
    if (s.length == 2 && s[0].equals("health") && (s[1].equals("alive") || s[1].equals("ready"))) {
      return "/health/" + s[1];
    }
    if (s.length < 3 || !s[0].equals("api") || !s[1].equals("v1")) {
      return "unmatched";
    }
    switch (s[2]) {
      case "entities":
        if (s.length == 5) {
          return "/api/v1/entities/{type}/{id}";
        }
        if (s.length == 6 && s[5].equals("events")) {
          return "/api/v1/entities/{type}/{id}/events";
        }
        return s.length == 7 && s[5].equals("events") && s[6].equals("stream")
            ? "/api/v1/entities/{type}/{id}/events/stream"
            : "unmatched";
      case "streams":
        return s.length == 4 ? "/api/v1/streams/{type}" : "unmatched";
      case "views":
        if (s.length == 3) {
          return "/api/v1/views";
        }
        return s.length == 4 ? "/api/v1/views/{view}" : "unmatched";
      case "cluster":
        if (s.length == 3) {
          return "/api/v1/cluster";
        }
        return s.length == 4 && (s[3].equals("shards") || s[3].equals("events"))
            ? "/api/v1/cluster/" + s[3]
            : "unmatched";
      case "openapi.json":
        return s.length == 3 ? "/api/v1/openapi.json" : "unmatched";
      case "admin":
        if (s.length == 4 && (s[3].equals("leave") || s[3].equals("partition"))) {
          return "/api/v1/admin/" + s[3];
        }
        return s.length == 7 && s[3].equals("entities") && s[6].equals("crash")
            ? "/api/v1/admin/entities/{type}/{id}/crash"
            : "unmatched";
      default:
        return "unmatched";
    }
  }
}
