package io.starfish.observability.internal;

import io.starfish.observability.HealingEvent.Kind;
import io.starfish.observability.HealingTimeline;
import io.starfish.observability.internal.HealingIncidents.Recoveries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A failure of one member, followed on this node from unreachable until it is removed: when each
 * step happened, and, once its shards began to move, whether they arrived here and their entities
 * recovered. Mutable; owned by {@link HealingIncidents}.
 */
final class Incident {

  private static final Logger log = LoggerFactory.getLogger(HealingTimeline.class);

  /** Polls whose entity count and recoveries agree before the recovery is declared complete. */
  static final int SETTLE_POLLS = 2;

  /** Where an incident's steps and recovery durations go (times as System.nanoTime()). */
  interface Steps {
    void step(long atNanos, Kind kind, Address member, String detail, Long durationMs, Kind from);

    /** Milliseconds between two System.nanoTime() readings, as the shown times differ. */
    long between(long fromNanos, long toNanos);

    void downedToRecovered(Duration duration);
  }

  /** One running entity: its type and id. */
  private record EntityKey(String type, String id) {}

  /** The shards this node gained since an incident's baseline, and their running entities. */
  private record Gained(Map<String, List<String>> shards, List<EntityKey> entities) {}

  final Address member;

  /** System.nanoTime() of each step; 0 until it happened. */
  long unreachableAt;

  long downedAt;

  /** When the move of its shards began: its downing, or its removal if the Down was not seen. */
  long movedAt;

  Kind movedFrom;

  /**
   * This node's shards (per type) from the first poll after it became unreachable (shards move only
   * after the removal), or from the last poll at the move if none came in between.
   */
  Map<String, Set<String>> baseline;

  boolean reallocated;
  boolean finished;
  boolean removed;
  private int lastEntityCount = -1;
  private int settledPolls;

  Incident(Address member) {
    this.member = member;
  }

  /** Its shards are moving and their recovery here is not yet complete. */
  boolean open() {
    return movedAt != 0 && !finished;
  }

  private Gained gained(Map<String, Map<String, Set<String>>> local) {
    Map<String, List<String>> shards = new TreeMap<>();
    List<EntityKey> entities = new ArrayList<>();
    local.forEach(
        (type, byShard) -> {
          Set<String> before = baseline.getOrDefault(type, Set.of());
          byShard.forEach(
              (shard, ids) -> {
                if (!before.contains(shard)) {
                  shards.computeIfAbsent(type, t -> new ArrayList<>()).add(shard);
                  ids.forEach(id -> entities.add(new EntityKey(type, id)));
                }
              });
        });
    return new Gained(shards, entities);
  }

  /** When the entity recovered here since the incident's move began, if it did. */
  private OptionalLong recoveredSinceMove(Recoveries recoveries, EntityKey entity) {
    OptionalLong at = recoveries.lastRecovery(entity.type(), entity.id());
    return at.isPresent() && at.getAsLong() - movedAt >= 0 ? at : OptionalLong.empty();
  }

  /** Returns true when the incident is over (for this node). */
  boolean follow(
      Map<String, Map<String, Set<String>>> local, long now, Recoveries recoveries, Steps steps) {
    Gained gained = gained(local);
    long firstRecovery = Long.MAX_VALUE;
    long lastRecovery = Long.MIN_VALUE;
    int recovered = 0;
    for (EntityKey entity : gained.entities()) {
      OptionalLong at = recoveredSinceMove(recoveries, entity);
      if (at.isPresent()) {
        recovered++;
        firstRecovery = Math.min(firstRecovery, at.getAsLong());
        lastRecovery = Math.max(lastRecovery, at.getAsLong());
      }
    }
    if (!reallocated && !gained.shards().isEmpty()) {
      reallocated = true;
      // The shards were here before any of their entities had recovered here.
      long at = recovered > 0 ? Math.min(now, firstRecovery) : now;
      int count = gained.shards().values().stream().mapToInt(List::size).sum();
      steps.step(
          at,
          Kind.SHARDS_REALLOCATED,
          member,
          count + " of its shards now on this node: " + gained.shards(),
          steps.between(movedAt, at),
          movedFrom);
    }
    if (!reallocated) {
      return false;
    }
    int count = gained.entities().size();
    boolean allRecovered = count > 0 && recovered == count;
    boolean steady = count == lastEntityCount;
    settledPolls = (steady && (allRecovered || count == 0)) ? settledPolls + 1 : 0;
    lastEntityCount = count;
    if (allRecovered && settledPolls >= SETTLE_POLLS) {
      if (movedFrom == Kind.MEMBER_DOWNED) {
        steps.downedToRecovered(Duration.ofNanos(lastRecovery - movedAt));
      }
      steps.step(
          lastRecovery,
          Kind.ENTITIES_RECOVERED,
          member,
          count + " of its entities restarted on this node and recovered from the journal",
          steps.between(movedAt, lastRecovery),
          movedFrom);
      return true;
    }
    if (count == 0 && settledPolls >= SETTLE_POLLS * 4) {
      steps.step(
          now,
          Kind.ENTITIES_RECOVERED,
          member,
          "no entities were running in the shards that moved here (none remembered)",
          null,
          null);
      return true;
    }
    return false;
  }

  void timedOut(
      Map<String, Map<String, Set<String>>> local,
      long now,
      Recoveries recoveries,
      Steps steps,
      Duration incidentTimeout) {
    if (!reallocated) {
      log.info(
          "healing: none of the shards of {} moved to this node within {}",
          member,
          incidentTimeout);
      return;
    }
    Gained gained = gained(local);
    long recovered =
        gained.entities().stream()
            .filter(entity -> recoveredSinceMove(recoveries, entity).isPresent())
            .count();
    steps.step(
        now,
        Kind.ENTITIES_RECOVERED,
        member,
        recovered
            + " of "
            + gained.entities().size()
            + " entities in the moved shards reported a recovery within "
            + incidentTimeout
            + " (hand-written behaviours do not report theirs)",
        null,
        null);
  }
}
