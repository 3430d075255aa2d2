package io.starfish.sharding;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.internal.EntityDeleted;
import io.starfish.sharding.internal.KeyRecorded;
import io.starfish.sharding.internal.SplitEvent;
import io.starfish.sharding.internal.TimerMarkers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByTagQuery;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * An entity's journal, read back: a page of its history, or its events as they are written. Reads
 * go through Pekko Persistence Query (the Cassandra read journal in a node, whichever plugin {@code
 * starfish.persistence.query-plugin} names), never through the entity, so reading the history of a
 * passivated or busy entity neither starts it nor waits for it.
 *
 * <p>Only the developer's events are shown. Starfish's own journal entries (the records of
 * idempotency keys, the deletion marker) are skipped, so the sequence numbers of what is shown can
 * have gaps; they are the journal's, and a client resumes from the last one it saw.
 */
public final class EntityEvents {

  /** The most events one page may hold. */
  public static final int MAX_PAGE = 1000;

  /** One event as stored: its place in the entity's journal, its name and its fields. */
  public record StoredEvent(long seqNr, String type, JsonNode event, Instant timestamp) {
    public StoredEvent {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(event, "event");
      Objects.requireNonNull(timestamp, "timestamp");
    }
  }

  /**
   * A page of an entity's history.
   *
   * @param events at most the asked number of events, in sequence order
   * @param next the sequence number to ask for next; empty when the journal holds no more events
   */
  public record Page(List<StoredEvent> events, OptionalLong next) {
    public Page {
      events = List.copyOf(events);
    }
  }

  /**
   * One event of a stream across the entities of a type.
   *
   * @param offset where it sits in that stream (a time UUID); a stream resumed after it goes on
   *     with the next one
   * @param entityId the entity that wrote it
   * @param event the event
   */
  public record TypeEvent(String offset, String entityId, StoredEvent event) {}

  private final ActorSystem<?> system;
  private final CurrentEventsByPersistenceIdQuery current;
  private final EventsByPersistenceIdQuery live;
  private final EventsByTagQuery byTag;

  private EntityEvents(ActorSystem<?> system, ReadJournal journal) {
    if (!(journal instanceof CurrentEventsByPersistenceIdQuery currentQuery)
        || !(journal instanceof EventsByPersistenceIdQuery liveQuery)) {
      throw new IllegalArgumentException(
          journal.getClass().getName() + " cannot read events by persistence id");
    }
    this.system = system;
    this.current = currentQuery;
    this.live = liveQuery;
    this.byTag = journal instanceof EventsByTagQuery tagQuery ? tagQuery : null;
  }

  /** Reads through the read journal plugin named by {@code starfish.persistence.query-plugin}. */
  public static EntityEvents create(ActorSystem<?> system) {
    String plugin = system.settings().config().getString("starfish.persistence.query-plugin");
    return new EntityEvents(
        system,
        PersistenceQuery.get(system.classicSystem()).getReadJournalFor(ReadJournal.class, plugin));
  }

  /**
   * Up to {@code limit} events of entity {@code type}/{@code id}, starting at sequence number
   * {@code from}. An entity that never persisted anything has an empty history.
   */
  public CompletionStage<Page> page(String type, String id, long from, int limit) {
    if (from < 1) {
      throw new IllegalArgumentException("from must be at least 1, was " + from);
    }
    if (limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + MAX_PAGE + ", was " + limit);
    }
    // One event beyond the page tells where the next page starts, and whether there is one.
    // A split retired event gives several events under one sequence number: a page never cuts one.
    return visible(
            current.currentEventsByPersistenceId(persistenceId(type, id), from, Long.MAX_VALUE))
        .take(limit + 1L)
        .runWith(Sink.seq(), system)
        .thenApply(
            entries -> {
              List<StoredEvent> events =
                  entries.stream().limit(limit).flatMap(e -> stored(e).stream()).toList();
              return entries.size() > limit
                  ? new Page(events, OptionalLong.of(entries.get(limit).sequenceNr()))
                  : new Page(events, OptionalLong.empty());
            });
  }

  /**
   * The events of entity {@code type}/{@code id} from sequence number {@code from} on, those
   * already stored and then each new one as it is written; the source never completes by itself.
   * New events show up within the read journal's refresh interval.
   */
  public Source<StoredEvent, NotUsed> follow(String type, String id, long from) {
    if (from < 1) {
      throw new IllegalArgumentException("from must be at least 1, was " + from);
    }
    return shown(live.eventsByPersistenceId(persistenceId(type, id), from, Long.MAX_VALUE));
  }

  /**
   * Whether streams across the entities of a type can be read: the read journal answers queries by
   * tag and, for Cassandra's, events-by-tag is on.
   */
  public boolean followsTypes() {
    var config = system.settings().config();
    String plugin = config.getString("starfish.persistence.query-plugin");
    String enabled = plugin.substring(0, plugin.lastIndexOf('.')) + ".events-by-tag.enabled";
    return byTag != null && (!config.hasPath(enabled) || config.getBoolean(enabled));
  }

  /**
   * The events of every entity of a streamed type ({@link EntityType#streamed()}), from the first
   * or, after {@code after} (an offset of this stream), from {@code resumeOverlap} before it, and
   * then each new one; never completes. They appear a few seconds after they are written (the read
   * journal's eventual-consistency delay), in the order of their time UUIDs; one entity's events
   * stay in sequence order.
   *
   * <p>The overlap is why a resumed stream loses nothing: the read journal delivers an event whose
   * tag row became visible late (a tag write repaired by the entity's recovery after a crash) after
   * events with later offsets, so a client's last offset can be later than an event it has not
   * received yet. A resumed stream therefore repeats events: a client skips those whose sequence
   * number it already has for that entity.
   *
   * @throws IllegalArgumentException when {@code after} is not an offset of such a stream
   */
  public Source<TypeEvent, NotUsed> followType(
      String type, Optional<String> after, Duration resumeOverlap) {
    if (byTag == null) {
      throw new UnsupportedOperationException("the read journal cannot read events by tag");
    }
    if (resumeOverlap.isNegative()) {
      throw new IllegalArgumentException("resumeOverlap must be >= 0, was " + resumeOverlap);
    }
    Offset offset =
        after
            .map(a -> Offset.timeBasedUUID(earlier(UUID.fromString(a), resumeOverlap)))
            .orElse(Offset.noOffset());
    String prefix = type + "|";
    return visible(byTag.eventsByTag(type, offset))
        .mapConcat(
            e ->
                stored(e).stream()
                    .map(
                        event ->
                            new TypeEvent(
                                ((TimeBasedUUID) e.offset()).value().toString(),
                                e.persistenceId().startsWith(prefix)
                                    ? e.persistenceId().substring(prefix.length())
                                    : e.persistenceId(),
                                event))
                    .toList());
  }

  /**
   * The smallest time UUID of the instant {@code overlap} before {@code offset}'s, or {@code
   * offset} itself when the overlap is zero (queries by tag start after their offset, exclusively).
   */
  static UUID earlier(UUID offset, Duration overlap) {
    if (offset.version() != 1) {
      throw new IllegalArgumentException("not a time UUID: " + offset);
    }
    if (overlap.isZero()) {
      return offset;
    }
    long millis = Uuids.unixTimestamp(offset) - overlap.toMillis();
    return Uuids.startOf(millis);
  }

  /**
   * Whether a journal event is Starfish's marker of a deleted entity (readers of tagged events see
   * it: a view removes the entity's row).
   */
  public static boolean isDeletion(Object event) {
    return event instanceof EntityDeleted;
  }

  /**
   * Whether a journal event is one that a streamed type's tag carries: a domain event or the
   * deletion marker, not an internal record such as an idempotency key.
   */
  public static boolean isTagged(Object event) {
    return !(event instanceof KeyRecorded) && !TimerMarkers.isMarker(event);
  }

  private static String persistenceId(String type, String id) {
    return PersistenceId.of(type, id).id();
  }

  /**
   * The domain events one journal entry holds, in the order they apply: the event itself, or the
   * parts of a split retired event ({@link EntityType#withRetiredEvent}).
   */
  public static List<Object> eventsIn(Object stored) {
    return SplitEvent.eventsIn(stored);
  }

  private static Source<StoredEvent, NotUsed> shown(Source<EventEnvelope, NotUsed> envelopes) {
    return visible(envelopes).mapConcat(EntityEvents::stored);
  }

  private static Source<EventEnvelope, NotUsed> visible(Source<EventEnvelope, NotUsed> envelopes) {
    return envelopes.filter(
        e ->
            !(e.event() instanceof KeyRecorded)
                && !(e.event() instanceof EntityDeleted)
                && !TimerMarkers.isMarker(e.event()));
  }

  private static List<StoredEvent> stored(EventEnvelope envelope) {
    return eventsIn(envelope.event()).stream()
        .map(
            event ->
                new StoredEvent(
                    envelope.sequenceNr(),
                    CommandCodec.nameOf(event.getClass()),
                    EntityJson.MAPPER.valueToTree(event),
                    Instant.ofEpochMilli(envelope.timestamp())))
        .toList();
  }
}
