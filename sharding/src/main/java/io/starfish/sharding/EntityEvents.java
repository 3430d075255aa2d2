package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.internal.EntityDeleted;
import io.starfish.sharding.internal.KeyRecorded;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
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

  private final ActorSystem<?> system;
  private final CurrentEventsByPersistenceIdQuery current;
  private final EventsByPersistenceIdQuery live;

  private EntityEvents(ActorSystem<?> system, ReadJournal journal) {
    if (!(journal instanceof CurrentEventsByPersistenceIdQuery currentQuery)
        || !(journal instanceof EventsByPersistenceIdQuery liveQuery)) {
      throw new IllegalArgumentException(
          journal.getClass().getName() + " cannot read events by persistence id");
    }
    this.system = system;
    this.current = currentQuery;
    this.live = liveQuery;
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
    return shown(
            current.currentEventsByPersistenceId(persistenceId(type, id), from, Long.MAX_VALUE))
        .take(limit + 1L)
        .runWith(Sink.seq(), system)
        .thenApply(
            events ->
                events.size() > limit
                    ? new Page(events.subList(0, limit), OptionalLong.of(events.get(limit).seqNr()))
                    : new Page(events, OptionalLong.empty()));
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

  private static String persistenceId(String type, String id) {
    return PersistenceId.of(type, id).id();
  }

  private static Source<StoredEvent, NotUsed> shown(Source<EventEnvelope, NotUsed> envelopes) {
    return envelopes
        .filter(e -> !(e.event() instanceof KeyRecorded) && !(e.event() instanceof EntityDeleted))
        .map(EntityEvents::stored);
  }

  private static StoredEvent stored(EventEnvelope envelope) {
    Object event = envelope.event();
    return new StoredEvent(
        envelope.sequenceNr(),
        CommandCodec.nameOf(event.getClass()),
        EntityJson.MAPPER.valueToTree(event),
        Instant.ofEpochMilli(envelope.timestamp()));
  }
}
