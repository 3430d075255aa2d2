package io.starfish.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.EntityJson;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * An RFC 9457 problem: every error of the API is answered with one, as {@code
 * application/problem+json} with {@code type}, {@code title}, {@code status} and {@code detail}.
 *
 * @param kind short name of the problem, also the last part of {@code type}
 * @param title the same for every problem of this kind
 * @param status HTTP status
 * @param detail what went wrong with this request
 * @param extensions extra members (e.g. failing readiness checks); may be null
 */
public record Problem(String kind, String title, int status, String detail, ObjectNode extensions) {

  public static final ContentType PROBLEM_JSON =
      ContentTypes.create(
          MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  /** The {@code type} URI of a problem kind. */
  public static String typeUri(String kind) {
    return "urn:starfish:problem:" + kind;
  }

  public static Problem of(String kind, String title, int status, String detail) {
    return new Problem(kind, title, status, detail, null);
  }

  /** 413 for a request body over the configured limit ({@code starfish.http.max-body-size}). */
  public static Problem payloadTooLarge(long maxBodyBytes) {
    return of(
        "payload-too-large",
        "Content Too Large",
        413,
        "the request body is larger than the limit of " + maxBodyBytes + " bytes");
  }

  /** 415 for a body that is not application/json (the entity and admin routes take only JSON). */
  public static Problem unsupportedMediaType(Object mediaType) {
    return of(
        "unsupported-media-type",
        "Unsupported media type",
        415,
        "the body must be application/json, was " + mediaType);
  }

  public static Problem invalidJson(String detail) {
    return of("invalid-json", "Malformed JSON", 400, detail);
  }

  public static Problem invalidCommand(String detail) {
    return of("invalid-command", "Invalid command", 400, detail);
  }

  public static Problem invalidId(String detail) {
    return of("invalid-id", "Invalid entity id", 400, detail);
  }

  public static Problem unknownEntityType(String detail) {
    return of("unknown-entity-type", "Unknown entity type", 404, detail);
  }

  public static Problem rejected(String detail) {
    return of("command-rejected", "Command rejected", 409, detail);
  }

  /** A command refused because it made the entity fail too often in a row: do not retry it. */
  public static Problem quarantined(String detail) {
    return of("command-quarantined", "Command quarantined", 409, detail);
  }

  public static Problem unavailable(String detail) {
    return of("unavailable", "Entity unavailable", 503, detail);
  }

  public static Problem internal() {
    return of(
        "internal-error",
        "Internal error",
        500,
        "the server failed to handle the request; it has been logged");
  }

  /** The response, with Retry-After added for 429 and 503. */
  public HttpResponse toResponse(String instance, int retryAfterSeconds) {
    // A tree, not a record: RFC 9457 extension members are free-form and sit beside the standard
    // ones, which a tree merges in one call.
    ObjectNode body = EntityJson.MAPPER.createObjectNode();
    body.put("type", typeUri(kind));
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    if (instance != null) {
      body.put("instance", instance);
    }
    if (extensions != null) {
      body.setAll(extensions);
    }
    List<HttpHeader> headers = new ArrayList<>();
    if (status == 503 || status == 429) {
      headers.add(RawHeader.create("Retry-After", Integer.toString(retryAfterSeconds)));
    }
    return HttpResponse.create()
        .withStatus(StatusCodes.get(status))
        .withHeaders(headers)
        .withEntity(PROBLEM_JSON, JsonResponses.bytes(body));
  }
}
