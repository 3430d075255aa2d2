package io.starfish.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityEvents.StoredEvent;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An entity's events, read from the journal: {@code GET /api/v1/entities/{type}/{id}/events} (a
 * page of its history) and {@code GET /api/v1/entities/{type}/{id}/events/stream} (Server-Sent
 * Events: the history, then each new event as it is written). Each streamed event's {@code id} is
 * its sequence number; a client that reconnects, to this node or another, with that number in
 * {@code Last-Event-ID} continues right after it, with nothing missed and nothing repeated.
 */
public final class EventRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(EventRoutes.class);

  /** Sent by an SSE client that reconnects: the id of the last event it received. */
  public static final String LAST_EVENT_ID = "Last-Event-ID";

  /** The page size when a request names none. */
  public static final int DEFAULT_LIMIT = 100;

  private final EntityRegistry registry;
  private final EntityEvents events;
  private final HttpSettings settings;
  private final EventStreams streams;

  public EventRoutes(
      EntityRegistry registry, EntityEvents events, HttpSettings settings, EventStreams streams) {
    this.registry = registry;
    this.events = events;
    this.settings = settings;
    this.streams = streams;
  }

  public Route route() {
    return concat(
        pathPrefix(
            PathMatchers.segment("api").slash("v1").slash("entities"),
            () ->
                extractUri(
                    uri ->
                        BearerAuth.apiTokenIfSet(
                            settings,
                            "entity API",
                            uri.path(),
                            () ->
                                get(
                                    () ->
                                        concat(
                                            path(
                                                PathMatchers.segment()
                                                    .slash(PathMatchers.segment())
                                                    .slash("events"),
                                                (type, id) -> history(type, id, uri.path())),
                                            path(
                                                PathMatchers.segment()
                                                    .slash(PathMatchers.segment())
                                                    .slash("events")
                                                    .slash("stream"),
                                                (type, id) -> stream(type, id, uri.path()))))))));
  }

  private Route history(String type, String id, String instance) {
    return parameterOptional(
        "from",
        from ->
            parameterOptional(
                "limit",
                limit -> {
                  Optional<Problem> problem = EntityRoutes.checkAddress(registry, type, id);
                  Long first = null;
                  Long size = null;
                  if (problem.isEmpty()) {
                    first = number("from", from.orElse("1"), 1, Long.MAX_VALUE - 1);
                    size =
                        number("limit", limit.orElse("" + DEFAULT_LIMIT), 1, EntityEvents.MAX_PAGE);
                    if (first == null) {
                      problem = Optional.of(invalidQuery("from", from.get(), Long.MAX_VALUE - 1));
                    } else if (size == null) {
                      problem =
                          Optional.of(invalidQuery("limit", limit.get(), EntityEvents.MAX_PAGE));
                    }
                  }
                  if (problem.isPresent()) {
                    return complete(
                        problem.get().toResponse(instance, settings.retryAfterSeconds()));
                  }
                  return completeWithFuture(
                      events
                          .page(type, id, first, size.intValue())
                          .thenApply(page -> JsonResponses.ok(historyBody(type, id, page)))
                          .exceptionally(
                              failure -> journalUnavailable(type, id, instance, failure)));
                }));
  }

  private Route stream(String type, String id, String instance) {
    return optionalHeaderValueByName(
        LAST_EVENT_ID,
        lastEventId ->
            parameterOptional(
                "from",
                from -> {
                  Optional<Problem> problem = EntityRoutes.checkAddress(registry, type, id);
                  long first = 1;
                  if (problem.isEmpty() && lastEventId.isPresent()) {
                    // The id of the last event received (0: none yet); the stream goes on after it.
                    Long last =
                        number(LAST_EVENT_ID, lastEventId.get().trim(), 0, Long.MAX_VALUE - 1);
                    if (last == null) {
                      problem =
                          Optional.of(
                              Problem.of(
                                  "invalid-query",
                                  "Invalid query",
                                  400,
                                  LAST_EVENT_ID
                                      + " must be the id of an event of this stream (a sequence"
                                      + " number), got \""
                                      + CommandCodec.abbreviate(lastEventId.get())
                                      + "\""));
                    } else {
                      first = last + 1;
                    }
                  } else if (problem.isEmpty() && from.isPresent()) {
                    Long asked = number("from", from.get(), 1, Long.MAX_VALUE - 1);
                    if (asked == null) {
                      problem = Optional.of(invalidQuery("from", from.get(), Long.MAX_VALUE - 1));
                    } else {
                      first = asked;
                    }
                  }
                  if (problem.isPresent()) {
                    return complete(
                        problem.get().toResponse(instance, settings.retryAfterSeconds()));
                  }
                  log.debug("event stream of {}/{} opened from seqNr {}", type, id, first);
                  return streams.serve(
                      type + "/" + id,
                      events.follow(type, id, first).map(EventRoutes::sse),
                      instance);
                }));
  }

  private static ServerSentEvent sse(StoredEvent event) {
    return ServerSentEvent.create(
        json(event).toString(), event.type(), Long.toString(event.seqNr()));
  }

  /** An event as the API shows it (schema Event). */
  static ObjectNode json(StoredEvent event) {
    ObjectNode node = EntityJson.MAPPER.createObjectNode();
    node.put("seqNr", event.seqNr());
    node.put("type", event.type());
    node.set("event", event.event());
    node.put("timestamp", event.timestamp().toString());
    return node;
  }

  private static ObjectNode historyBody(String type, String id, EntityEvents.Page page) {
    ObjectNode body = EntityJson.MAPPER.createObjectNode();
    body.put("type", type);
    body.put("id", id);
    var list = body.putArray("events");
    for (StoredEvent event : page.events()) {
      list.add(json(event));
    }
    if (page.next().isPresent()) {
      body.put("next", page.next().getAsLong());
    } else {
      body.putNull("next");
    }
    return body;
  }

  private HttpResponse journalUnavailable(
      String type, String id, String instance, Throwable failure) {
    log.warn("reading the events of {}/{} failed: {}", type, id, failure.toString());
    return Problem.unavailable("the journal could not be read; retry later")
        .toResponse(instance, settings.retryAfterSeconds());
  }

  /** The parameter as a whole number within bounds, or null. */
  private static Long number(String name, String text, long min, long max) {
    try {
      long value = Long.parseLong(text);
      return value >= min && value <= max ? value : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Problem invalidQuery(String name, String value, long max) {
    return Problem.of(
        "invalid-query",
        "Invalid query",
        400,
        name
            + " must be a whole number from 1 to "
            + max
            + ", got \""
            + CommandCodec.abbreviate(value)
            + "\"");
  }
}
