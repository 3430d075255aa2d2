package io.starfish.http;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /}: the dashboard, one self-contained HTML page (no build step, no external assets)
 * that reads this node's JSON API and /metrics every second: members with status and reachability,
 * shards and entities per node, the healing timeline, request and error rates, and admin buttons
 * that send the admin token the operator types in.
 */
public final class DashboardRoutes extends AllDirectives {

  /** Where the page is on the classpath. */
  static final String RESOURCE = "io/starfish/http/dashboard.html";

  private final byte[] page;

  public DashboardRoutes() {
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      page = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("reading " + RESOURCE + " failed", e);
    }
  }

  public Route route() {
    return pathSingleSlash(
        () ->
            get(
                () ->
                    complete(HttpResponse.create().withEntity(ContentTypes.TEXT_HTML_UTF8, page))));
  }
}
