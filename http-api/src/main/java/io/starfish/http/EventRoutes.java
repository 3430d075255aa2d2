package io.starfish.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityEvents.StoredEvent;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityRegistry;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;
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
  private final EventStreamSettings streams;
  private final AtomicInteger openStreams = new AtomicInteger();

  /** Ends every open stream when the node stops; clients resume elsewhere with Last-Event-ID. */
  private final SharedKillSwitch closing = KillSwitches.shared("event-streams");

  public EventRoutes(
      EntityRegistry registry,
      EntityEvents events,
      HttpSettings settings,
      EventStreamSettings streams) {
    this.registry = registry;
    this.events = events;
    this.settings = settings;
    this.streams = streams;
  }

  /**
   * Ends every open event stream (normally, as a server closing the connection would) and every one
   * opened after; called when the node stops, so that clients reconnect to another node at once
   * instead of holding the shutdown up.
   */
  public void closeAll() {
    closing.shutdown();
  }

  /** Event streams open on this node now. */
  public int openStreams() {
    return openStreams.get();
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
                                            (type, id) -> stream(type, id, uri.path())))))),
        pathPrefix(
            PathMatchers.segment("api").slash("v1").slash("streams"),
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
                                        path(
                                            PathMatchers.segment(),
                                            type -> typeStream(type, uri.path())))))));
  }

  /** {@code GET /api/v1/streams/{type}}: every entity's events of a streamed type, as SSE. */
  private Route typeStream(String type, String instance) {
    return optionalHeaderValueByName(
        LAST_EVENT_ID,
        lastEventId -> {
          Optional<Problem> problem = streamable(type);
          if (problem.isEmpty() && lastEventId.isPresent()) {
            try {
              java.util.UUID.fromString(lastEventId.get().trim());
            } catch (IllegalArgumentException e) {
              problem =
                  Optional.of(
                      Problem.of(
                          "invalid-query",
                          "Invalid query",
                          400,
                          LAST_EVENT_ID
                              + " must be the id of an event of this stream, got \""
                              + CommandCodec.abbreviate(lastEventId.get())
                              + "\""));
            }
          }
          if (problem.isPresent()) {
            return complete(problem.get().toResponse(instance, settings.retryAfterSeconds()));
          }
          return openStream(
              "type " + type,
              events
                  .followType(type, lastEventId.map(String::trim))
                  .map(
                      e ->
                          ServerSentEvent.create(
                              json(e.event()).put("id", e.entityId()).toString(),
                              e.event().type(),
                              e.offset())),
              instance);
        });
  }

  /** Why {@code type} has no stream across its entities, if it has none. */
  private Optional<Problem> streamable(String type) {
    Optional<io.starfish.sharding.EntityDefinition> definition = registry.find(type);
    if (definition.isEmpty()) {
      return Optional.of(
          Problem.unknownEntityType(
              "no entity type \""
                  + CommandCodec.abbreviate(type)
                  + "\"; known types: "
                  + String.join(", ", registry.names())));
    }
    boolean streamed =
        definition.get() instanceof io.starfish.sharding.EntityType<?, ?, ?> plain
                && plain.isStreamed()
            || definition.get() instanceof io.starfish.sharding.SagaType<?, ?, ?> saga
                && saga.entity().isStreamed();
    if (!streamed) {
      return Optional.of(
          Problem.of(
              "stream-not-found",
              "No stream of this type",
              404,
              "entity type \""
                  + type
                  + "\" is not streamed: its events are not tagged (declare it with"
                  + " EntityType.streamed())"));
    }
    if (!events.followsTypes()) {
      return Optional.of(
          Problem.unavailable(
              "streams across entities are off on this node: set"
                  + " pekko.persistence.cassandra.events-by-tag.enabled = on"));
    }
    return Optional.empty();
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
                  return openStream(
                      type + "/" + id,
                      events.follow(type, id, first).map(EventRoutes::sse),
                      instance);
                }));
  }

  /** Serves {@code source} as an event stream, within this node's bound of open streams. */
  private Route openStream(
      String what, Source<ServerSentEvent, NotUsed> source, String instance) {
    if (openStreams.incrementAndGet() > streams.maxOpen()) {
      openStreams.decrementAndGet();
      return complete(
          Problem.of(
                  "overloaded",
                  "Node overloaded",
                  503,
                  "this node has "
                      + streams.maxOpen()
                      + " event streams open already (starfish.http.event-streams.max-open);"
                      + " retry later or through another node")
              .toResponse(instance, settings.retryAfterSeconds()));
    }
    Source<ServerSentEvent, NotUsed> served =
        source
            .via(closing.flow())
            .keepAlive(streams.heartbeat(), ServerSentEvent::heartbeat)
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (ok, failure) -> {
                        openStreams.decrementAndGet();
                        if (failure != null) {
                          log.info("event stream of {} ended: {}", what, failure.toString());
                        }
                      });
                  return mat;
                });
    return completeOK(served, EventStreamMarshalling.toEventStream());
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

  /** Settings of the live event streams ({@code starfish.http.event-streams}). */
  public record EventStreamSettings(java.time.Duration heartbeat, int maxOpen) {
    public EventStreamSettings {
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be > 0, was " + heartbeat);
      }
      if (maxOpen < 1) {
        throw new IllegalArgumentException("max-open must be >= 1, was " + maxOpen);
      }
    }

    public static EventStreamSettings create(com.typesafe.config.Config config) {
      com.typesafe.config.Config c = config.getConfig("starfish.http.event-streams");
      return new EventStreamSettings(c.getDuration("heartbeat"), c.getInt("max-open"));
    }
  }
}
