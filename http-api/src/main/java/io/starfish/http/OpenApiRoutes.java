package io.starfish.http;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/openapi.json}: the OpenAPI 3.1 description of every route of this API. It is
 * written by hand next to this class ({@code openapi.json}); {@code OpenApiIT} checks it against
 * the routes a real node serves and the answers it gives.
 */
public final class OpenApiRoutes extends AllDirectives {

  /** Where the document is on the classpath. */
  public static final String RESOURCE = "/io/starfish/http/openapi.json";

  private final byte[] document;

  public OpenApiRoutes() {
    this.document = load();
  }

  /** The document's bytes, as served. */
  public static byte[] load() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE, e);
    }
  }

  public Route route() {
    return path(
        PathMatchers.segment("api").slash("v1").slash("openapi.json"),
        () ->
            get(
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(ContentTypes.APPLICATION_JSON, document))));
  }
}
