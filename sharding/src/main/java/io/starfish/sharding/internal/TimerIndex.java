package io.starfish.sharding.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.zip.CRC32;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Where durable timers are found when they are due, by time, across all entities: rows in {@code
 * slices} partitions ordered by due time. The entity's journal is the truth (its pending timers); a
 * row only says "wake this entity up then". A row is written after the timer is persisted and again
 * at every recovery of the entity (so none is missing for long), and removed once its firing is
 * settled; a leftover or duplicate row costs one delivery that changes nothing.
 */
public interface TimerIndex {

  /** One row: the timer {@code timerId} (schedule {@code seq}) of an entity, due at a time. */
  record Row(
      int slice, long dueAtMillis, String entityType, String entityId, String timerId, long seq) {}

  /** Adds the row of {@code timer}, due at {@code dueAtMillis}. */
  CompletionStage<Done> add(Row row);

  /** Removes a row (no-op when it is not there). */
  CompletionStage<Done> remove(Row row);

  /**
   * Up to {@code limit} rows of {@code slice} due in [{@code fromMillis}, {@code toMillis}], by due
   * time.
   */
  CompletionStage<List<Row>> due(int slice, long fromMillis, long toMillis, int limit);

  /** How many rows {@code slice} holds: its pending timers (for the pending gauge). */
  CompletionStage<Long> count(int slice);

  /** The row of {@code timer} of entity {@code type}/{@code id}, due at {@code dueAtMillis}. */
  static Row row(
      String type, String id, PendingTimer timer, long dueAtMillis, TimerSettings settings) {
    return new Row(
        slice(type, id, settings.slices()), dueAtMillis, type, id, timer.timerId(), timer.seq());
  }

  /** The slice an entity's timers live in: stable across nodes and versions. */
  static int slice(String type, String id, int slices) {
    CRC32 crc = new CRC32();
    crc.update((type + "|" + id).getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % slices);
  }

  /** The index of this actor system, as its settings say. */
  static TimerIndex get(ActorSystem<?> system) {
    return TimerIndexes.get(system).index();
  }
}
