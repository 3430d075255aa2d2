package io.starfish.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.internal.EntityDeleted;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.Test;

/** What one event does to a view's rows: in order, once, moved between groups, removed. */
class ViewHandlerTest {

  sealed interface Command permits Move {}

  record Move(String to, long amount) implements Command {}

  sealed interface Event extends CborSerializable permits Moved {}

  record Moved(String to, long amount) implements Event {}

  record Parcel(String place, long weight) implements CborSerializable {}

  static Parcel moved(Parcel parcel, Event event) {
    Moved moved = (Moved) event;
    return new Parcel(moved.to(), parcel.weight() + moved.amount());
  }

  static final EntityType<Command, Event, Parcel> PARCEL =
      EntityType.of(
              "parcel",
              Command.class,
              Event.class,
              new Parcel("depot", 0),
              (state, command) -> Outcome.none(),
              ViewHandlerTest::moved)
          .streamed();

  static final View<Event, Parcel> BY_PLACE =
      View.of("parcels-by-place", PARCEL, new Parcel("depot", 0), ViewHandlerTest::moved)
          .groupedBy("place", Parcel::place)
          .rangedBy(Parcel::weight);

  /** Rows as the Cassandra tables keep them: by id, and listed by (view, group). */
  static final class MemoryRows implements RowStore {
    final Map<String, StoredRow> byId = new HashMap<>();
    final Map<String, Map<String, String>> listed = new HashMap<>();
    int writes;

    @Override
    public CompletionStage<Optional<StoredRow>> current(String view, String id) {
      return CompletableFuture.completedFuture(Optional.ofNullable(byId.get(view + "/" + id)));
    }

    @Override
    public CompletionStage<Done> write(
        String view,
        String id,
        Optional<StoredRow> old,
        long seqNr,
        String group,
        long rank,
        String json,
        Instant now) {
      writes++;
      old.filter(o -> o.json() != null)
          .ifPresent(o -> listed.getOrDefault(view + "/" + o.group(), new HashMap<>()).remove(id));
      if (json != null) {
        listed.computeIfAbsent(view + "/" + group, g -> new HashMap<>()).put(id, json);
      }
      byId.put(view + "/" + id, new StoredRow(group, rank, seqNr, json));
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    Map<String, String> group(String group) {
      return listed.getOrDefault("parcels-by-place/" + group, Map.of());
    }
  }

  private final MemoryRows rows = new MemoryRows();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Counter redelivered = registry.counter("redelivered");

  /** The journal, by persistence id: what the handler reads for an entity first seen late. */
  private final Map<String, List<Object>> journal = new HashMap<>();

  private final ViewHandler<Event, Parcel> handler =
      new ViewHandler<>(
          BY_PLACE,
          rows,
          (pid, seqNr) ->
              CompletableFuture.completedFuture(
                  journal
                      .getOrDefault(pid, List.of())
                      .subList(
                          0, (int) Math.min(seqNr, journal.getOrDefault(pid, List.of()).size()))),
          new ViewHandler.Meters(
              Timer.builder("lag").register(registry), registry.counter("applied"), redelivered),
          Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));

  private void deliver(String pid, long seqNr, Object event) throws Exception {
    EventEnvelope<Object> envelope =
        EventEnvelope.create(Offset.sequence(seqNr), pid, seqNr, event, 0L);
    handler.process(envelope).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void eventsBuildTheRowAndMoveItBetweenGroups() throws Exception {
    deliver("parcel|p1", 1, new Moved("hub", 5));
    assertThat(rows.group("hub")).containsEntry("p1", "{\"place\":\"hub\",\"weight\":5}");
    deliver("parcel|p1", 2, new Moved("door", 2));
    assertThat(rows.group("hub")).doesNotContainKey("p1");
    assertThat(rows.group("door")).containsEntry("p1", "{\"place\":\"door\",\"weight\":7}");
    assertThat(rows.byId.get("parcels-by-place/p1").rank()).isEqualTo(7);
  }

  @Test
  void anEventDeliveredAgainChangesNothing() throws Exception {
    deliver("parcel|p2", 1, new Moved("hub", 5));
    deliver("parcel|p2", 2, new Moved("hub", 3));
    // The projection restarts from an older offset: events 1 and 2 come again.
    deliver("parcel|p2", 1, new Moved("hub", 5));
    deliver("parcel|p2", 2, new Moved("hub", 3));
    assertThat(rows.group("hub")).containsEntry("p2", "{\"place\":\"hub\",\"weight\":8}");
    assertThat(rows.writes).isEqualTo(2);
    assertThat(redelivered.count()).isEqualTo(2.0);
    // sequence numbers may have gaps (idempotency records are not tagged): 4 follows 2
    deliver("parcel|p2", 4, new Moved("hub", 1));
    assertThat(rows.group("hub")).containsEntry("p2", "{\"place\":\"hub\",\"weight\":9}");
  }

  @Test
  void anEntityFirstSeenAfterItsFirstEventGetsItsEarlierEventsFromTheJournal() throws Exception {
    // Event 1's tag row was lost with a killed node: the query delivers event 3 first. Event 2 is
    // an idempotency record (untagged), which views never apply.
    journal.put(
        "parcel|p5",
        List.of(
            new Moved("hub", 5),
            new io.starfish.sharding.internal.KeyRecorded("k", "f", 0, 1, null, null, null),
            new Moved("door", 2)));
    deliver("parcel|p5", 3, new Moved("door", 2));
    assertThat(rows.group("door")).containsEntry("p5", "{\"place\":\"door\",\"weight\":7}");
    assertThat(rows.byId.get("parcels-by-place/p5").seqNr()).isEqualTo(3);
    // event 1 arrives later, when the entity's recovery wrote its tag row: already applied
    deliver("parcel|p5", 1, new Moved("hub", 5));
    assertThat(rows.group("door")).containsEntry("p5", "{\"place\":\"door\",\"weight\":7}");
  }

  @Test
  void aDeletedEntityLosesItsRowAndStaysRemoved() throws Exception {
    deliver("parcel|p3", 1, new Moved("hub", 5));
    deliver("parcel|p3", 2, new EntityDeleted(1, 0));
    assertThat(rows.group("hub")).doesNotContainKey("p3");
    assertThat(rows.byId.get("parcels-by-place/p3").seqNr()).isEqualTo(2);
    deliver("parcel|p3", 1, new Moved("hub", 5)); // redelivered: the row does not come back
    assertThat(rows.group("hub")).doesNotContainKey("p3");
  }

  @Test
  void eventsOfAnotherTypeUnderTheTagAreIgnored() throws Exception {
    deliver("other|p1", 1, new Moved("hub", 5));
    assertThat(rows.writes).isZero();
  }

  @Test
  void aViewNeedsAStreamedSourceAndValidNames() {
    EntityType<Command, Event, Parcel> plain =
        EntityType.of(
            "plain",
            Command.class,
            Event.class,
            new Parcel("x", 0),
            (Parcel s, Command c) -> Outcome.<Event>none(),
            ViewHandlerTest::moved);
    assertThatThrownBy(() -> View.of("v", plain, new Parcel("x", 0), (r, e) -> r))
        .hasMessageContaining("declare that type with .streamed()");
    assertThatThrownBy(() -> View.of("Bad Name", PARCEL, new Parcel("x", 0), (r, e) -> r))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BY_PLACE.groupedBy("limit", Parcel::place))
        .hasMessageContaining("limit");
  }

  @Test
  void cursorsRoundTripAndForeignOnesAreRefused() {
    ViewTables.Cursor cursor = new ViewTables.Cursor(-42, "a:b|c");
    assertThat(ViewTables.Cursor.decode(cursor.encode())).isEqualTo(cursor);
    assertThatThrownBy(() -> ViewTables.Cursor.decode("not base64!"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ViewTables.Cursor.decode("eHl6")) // "xyz": no rank
        .isInstanceOf(IllegalArgumentException.class);
  }
}
