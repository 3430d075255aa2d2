package io.starfish.http;

import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityDefinition;
import io.starfish.sharding.EntityEvents;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.SagaType;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/streams/{type}}: the events of every entity of a streamed type ({@link
 * EntityType#streamed()}), as Server-Sent Events, read by tag from the journal. Each event's {@code
 * id} is its offset in the stream (a time UUID); a client that reconnects, to any node, with it in
 * {@code Last-Event-ID} gets every event after it, and again the events of the {@code
 * type-resume-overlap} before it (at least once: the client skips an entity's sequence numbers it
 * already has).
 */
public final class StreamRoutes extends AllDirectives {

  private static final String LAST_EVENT_ID = EventRoutes.LAST_EVENT_ID;

  private final EntityRegistry registry;
  private final EntityEvents events;
  private final HttpSettings settings;
  private final EventStreams streams;

  public StreamRoutes(
      EntityRegistry registry, EntityEvents events, HttpSettings settings, EventStreams streams) {
    this.registry = registry;
    this.events = events;
    this.settings = settings;
    this.streams = streams;
  }

  public Route route() {
    return pathPrefix(
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
                                        type -> typeStream(type, uri.path()))))));
  }

  /** {@code GET /api/v1/streams/{type}}: every entity's events of a streamed type, as SSE. */
  private Route typeStream(String type, String instance) {
    return optionalHeaderValueByName(
        LAST_EVENT_ID,
        lastEventId -> {
          Optional<Problem> problem = streamable(type);
          if (problem.isEmpty() && lastEventId.isPresent()) {
            if (!isTimeUuid(lastEventId.get().trim())) {
              problem =
                  Optional.of(
                      Problem.of(
                          "invalid-query",
                          "Invalid query",
                          400,
                          LAST_EVENT_ID
                              + " must be the id of an event of this stream (a time UUID), got \""
                              + CommandCodec.abbreviate(lastEventId.get())
                              + "\""));
            }
          }
          if (problem.isPresent()) {
            return complete(problem.get().toResponse(instance, settings.retryAfterSeconds()));
          }
          return streams.serve(
              "type " + type,
              events
                  .followType(type, lastEventId.map(String::trim), streams.typeResumeOverlap())
                  .map(
                      e ->
                          ServerSentEvent.create(
                              EventRoutes.json(e.event()).put("id", e.entityId()).toString(),
                              e.event().type(),
                              e.offset())),
              instance);
        });
  }

  private static boolean isTimeUuid(String id) {
    try {
      return UUID.fromString(id).version() == 1;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Why {@code type} has no stream across its entities, if it has none. */
  private Optional<Problem> streamable(String type) {
    Optional<EntityDefinition> definition = registry.find(type);
    if (definition.isEmpty()) {
      return Optional.of(
          Problem.unknownEntityType(
              "no entity type \""
                  + CommandCodec.abbreviate(type)
                  + "\"; known types: "
                  + String.join(", ", registry.names())));
    }
    boolean streamed =
        definition.get() instanceof EntityType<?, ?, ?> plain && plain.isStreamed()
            || definition.get() instanceof SagaType<?, ?, ?> saga && saga.entity().isStreamed();
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
}
