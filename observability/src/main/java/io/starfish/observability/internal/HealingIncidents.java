package io.starfish.observability.internal;

import io.starfish.observability.HealingEvent;
import io.starfish.observability.HealingEvent.Kind;
import io.starfish.observability.HealingTimeline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The healing timeline's state machine: follows each failed member from unreachable until its
 * shards have moved to this node and their entities have recovered here, and emits the steps. Pure:
 * it has no actor, clock or registry; the observer feeds it cluster events, polls of this node's
 * shards and the time (System.nanoTime()), and receives steps and durations through {@link
 * Effects}. Not thread-safe (one actor drives it).
 */
final class HealingIncidents {

  private static final Logger log = LoggerFactory.getLogger(HealingTimeline.class);

  /** What the state machine produces. */
  interface Effects {
    void step(HealingEvent event);

    void unreachableToDowned(Duration duration);

    void downedToRecovered(Duration duration);
  }

  /** When an entity last completed a recovery on this node (System.nanoTime()), if recently. */
  interface Recoveries {
    OptionalLong lastRecovery(String type, String id);
  }

  /** Polls whose entity count and recoveries agree before the recovery is declared complete. */
  static final int SETTLE_POLLS = 2;

  /** One running entity: its type and id. */
  private record EntityKey(String type, String id) {}

  /** The shards this node gained since an incident's baseline, and their running entities. */
  private record Gained(Map<String, List<String>> shards, List<EntityKey> entities) {}

  /** A failure of one member, followed on this node from unreachable until it is removed. */
  private static final class Incident {
    final Address member;

    /** System.nanoTime() of each step; 0 until it happened. */
    long unreachableAt;

    long downedAt;

    /** When the move of its shards began: its downing, or its removal if the Down was not seen. */
    long movedAt;

    Kind movedFrom;

    /**
     * This node's shards (per type) from the first poll after it became unreachable (shards move
     * only after the removal), or from the last poll at the move if none came in between.
     */
    Map<String, Set<String>> baseline;

    boolean reallocated;
    boolean finished;
    boolean removed;
    int lastEntityCount = -1;
    int settledPolls;

    Incident(Address member) {
      this.member = member;
    }

    boolean open() {
      return movedAt != 0 && !finished;
    }
  }

  private final Duration incidentTimeout;
  private final Recoveries recoveries;
  private final Effects effects;
  private final long wallAtStart;
  private final long nanosAtStart;
  private final Map<Address, Incident> incidents = new LinkedHashMap<>();
  private final Map<Address, Long> leaving = new HashMap<>();

  /** Latest poll: type to shard id to running entity ids. */
  private Map<String, Map<String, Set<String>>> local = Map.of();

  private boolean pollWanted;

  /**
   * @param wallAtStart System.currentTimeMillis() read at the same moment as {@code nanosAtStart}:
   *     steps are stamped with wall-clock times derived from nanoTime with this offset, so that a
   *     wall-clock step cannot make a duration negative
   */
  HealingIncidents(
      Duration incidentTimeout,
      Recoveries recoveries,
      Effects effects,
      long wallAtStart,
      long nanosAtStart) {
    this.incidentTimeout = incidentTimeout;
    this.recoveries = recoveries;
    this.effects = effects;
    this.wallAtStart = wallAtStart;
    this.nanosAtStart = nanosAtStart;
  }

  void memberUp(Address member, long now) {
    step(now, Kind.MEMBER_UP, member, "member is Up", null, null);
  }

  void memberLeft(Address member, long now) {
    // A graceful leave hands its shards off before the member turns Leaving: not followed.
    leaving.put(member, now);
    step(
        now,
        Kind.MEMBER_LEAVING,
        member,
        "member is leaving gracefully (its shards were handed off first)",
        null,
        null);
  }

  /**
   * @param downedBy who decided, for people
   */
  void memberDowned(Address member, long now, String downedBy) {
    Incident incident = incidents.computeIfAbsent(member, Incident::new);
    incident.downedAt = now;
    startMove(incident, now, Kind.MEMBER_DOWNED);
    Long sinceUnreachable = null;
    if (incident.unreachableAt != 0) {
      sinceUnreachable = between(incident.unreachableAt, now);
      effects.unreachableToDowned(Duration.ofNanos(now - incident.unreachableAt));
    }
    step(
        now,
        Kind.MEMBER_DOWNED,
        member,
        "downed by " + downedBy,
        sinceUnreachable,
        sinceUnreachable == null ? null : Kind.MEMBER_UNREACHABLE);
  }

  void memberRemoved(Address member, MemberStatus previous, long now) {
    Long left = leaving.remove(member);
    if (left != null && previous == MemberStatus.exiting()) {
      incidents.remove(member);
      step(
          now,
          Kind.MEMBER_REMOVED,
          member,
          "member left the cluster",
          between(left, now),
          Kind.MEMBER_LEAVING);
      return;
    }
    Incident incident = incidents.get(member);
    String detail = "member removed from the cluster (was " + previous + ")";
    if (incident != null && incident.downedAt != 0) {
      step(
          now,
          Kind.MEMBER_REMOVED,
          member,
          detail,
          between(incident.downedAt, now),
          Kind.MEMBER_DOWNED);
      incident.removed = true;
      if (incident.finished) {
        incidents.remove(member);
      }
      return;
    }
    // This node did not see it Down (e.g. it was cut off itself meanwhile): its shards move now.
    step(now, Kind.MEMBER_REMOVED, member, detail, null, null);
    if (incident == null) {
      incident = new Incident(member);
      incidents.put(member, incident);
    }
    incident.removed = true;
    startMove(incident, now, Kind.MEMBER_REMOVED);
  }

  void unreachable(Address member, long now) {
    Incident incident = incidents.computeIfAbsent(member, Incident::new);
    if (incident.unreachableAt == 0) {
      incident.unreachableAt = now;
    }
    step(
        now,
        Kind.MEMBER_UNREACHABLE,
        member,
        "member is unreachable (missed heartbeats)",
        null,
        null);
    pollWanted = true; // a fresh baseline of this node's shards before any of the member's arrive
  }

  void reachable(Address member, long now) {
    Incident incident = incidents.get(member);
    Long since = null;
    if (incident != null && incident.unreachableAt != 0) {
      since = between(incident.unreachableAt, now);
    }
    if (incident != null && incident.movedAt == 0) {
      incidents.remove(member);
    }
    step(
        now,
        Kind.MEMBER_REACHABLE,
        member,
        "member is reachable again",
        since,
        since == null ? null : Kind.MEMBER_UNREACHABLE);
  }

  /** A poll of this node's shards answered; a type missing from it keeps its last known shards. */
  void polled(Map<String, Map<String, Set<String>>> shards, long now) {
    Map<String, Map<String, Set<String>>> merged = new LinkedHashMap<>(local);
    merged.putAll(shards);
    local = merged;
    for (Incident incident : incidents.values()) {
      if (incident.baseline == null && incident.movedAt == 0) {
        incident.baseline = shardIds(local);
      }
    }
    followIncidents(now, true);
  }

  /** A poll failed: only timeouts are followed. */
  void pollFailed(long now) {
    followIncidents(now, false);
  }

  /** Whether a failure is being healed (its shards moved, its recovery not yet complete). */
  boolean healing() {
    return incidents.values().stream().anyMatch(Incident::open);
  }

  /**
   * The oldest move still followed (System.nanoTime()), or {@code now}: recoveries before it can
   * go.
   */
  long followedSince(long now) {
    return incidents.values().stream()
        .filter(Incident::open)
        .mapToLong(incident -> incident.movedAt)
        .min()
        .orElse(now);
  }

  /** Whether an event since the last call asked for a poll right away; clears the request. */
  boolean takePollRequest() {
    boolean wanted = pollWanted;
    pollWanted = false;
    return wanted;
  }

  private void startMove(Incident incident, long now, Kind from) {
    if (incident.movedAt != 0) {
      return;
    }
    incident.movedAt = now;
    incident.movedFrom = from;
    if (incident.baseline == null) {
      incident.baseline = shardIds(local);
    }
    pollWanted = true;
  }

  private static Map<String, Set<String>> shardIds(Map<String, Map<String, Set<String>>> shards) {
    Map<String, Set<String>> ids = new HashMap<>();
    shards.forEach((type, byShard) -> ids.put(type, Set.copyOf(byShard.keySet())));
    return ids;
  }

  private void followIncidents(long now, boolean freshShards) {
    List<Address> closed = new ArrayList<>();
    for (Incident incident : incidents.values()) {
      if (!incident.open()) {
        continue;
      }
      boolean over;
      if (now - incident.movedAt > incidentTimeout.toNanos()) {
        timedOut(incident, now);
        over = true;
      } else {
        over = freshShards && follow(incident, now);
      }
      if (over) {
        incident.finished = true;
        if (incident.removed) {
          closed.add(incident.member);
        }
      }
    }
    closed.forEach(incidents::remove);
  }

  private Gained gained(Incident incident) {
    Map<String, List<String>> shards = new TreeMap<>();
    List<EntityKey> entities = new ArrayList<>();
    local.forEach(
        (type, byShard) -> {
          Set<String> before = incident.baseline.getOrDefault(type, Set.of());
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
  private OptionalLong recoveredSinceMove(Incident incident, EntityKey entity) {
    OptionalLong at = recoveries.lastRecovery(entity.type(), entity.id());
    return at.isPresent() && at.getAsLong() - incident.movedAt >= 0 ? at : OptionalLong.empty();
  }

  /** Returns true when the incident is over (for this node). */
  private boolean follow(Incident incident, long now) {
    Gained gained = gained(incident);
    long firstRecovery = Long.MAX_VALUE;
    long lastRecovery = Long.MIN_VALUE;
    int recovered = 0;
    for (EntityKey entity : gained.entities()) {
      OptionalLong at = recoveredSinceMove(incident, entity);
      if (at.isPresent()) {
        recovered++;
        firstRecovery = Math.min(firstRecovery, at.getAsLong());
        lastRecovery = Math.max(lastRecovery, at.getAsLong());
      }
    }
    if (!incident.reallocated && !gained.shards().isEmpty()) {
      incident.reallocated = true;
      // The shards were here before any of their entities had recovered here.
      long at = recovered > 0 ? Math.min(now, firstRecovery) : now;
      int count = gained.shards().values().stream().mapToInt(List::size).sum();
      step(
          at,
          Kind.SHARDS_REALLOCATED,
          incident.member,
          count + " of its shards now on this node: " + gained.shards(),
          between(incident.movedAt, at),
          incident.movedFrom);
    }
    if (!incident.reallocated) {
      return false;
    }
    int count = gained.entities().size();
    boolean allRecovered = count > 0 && recovered == count;
    boolean steady = count == incident.lastEntityCount;
    incident.settledPolls =
        (steady && (allRecovered || count == 0)) ? incident.settledPolls + 1 : 0;
    incident.lastEntityCount = count;
    if (allRecovered && incident.settledPolls >= SETTLE_POLLS) {
      if (incident.movedFrom == Kind.MEMBER_DOWNED) {
        effects.downedToRecovered(Duration.ofNanos(lastRecovery - incident.movedAt));
      }
      step(
          lastRecovery,
          Kind.ENTITIES_RECOVERED,
          incident.member,
          count + " of its entities restarted on this node and recovered from the journal",
          between(incident.movedAt, lastRecovery),
          incident.movedFrom);
      return true;
    }
    if (count == 0 && incident.settledPolls >= SETTLE_POLLS * 4) {
      step(
          now,
          Kind.ENTITIES_RECOVERED,
          incident.member,
          "no entities were running in the shards that moved here (none remembered)",
          null,
          null);
      return true;
    }
    return false;
  }

  private void timedOut(Incident incident, long now) {
    if (!incident.reallocated) {
      log.info(
          "healing: none of the shards of {} moved to this node within {}",
          incident.member,
          incidentTimeout);
      return;
    }
    Gained gained = gained(incident);
    long recovered =
        gained.entities().stream()
            .filter(entity -> recoveredSinceMove(incident, entity).isPresent())
            .count();
    step(
        now,
        Kind.ENTITIES_RECOVERED,
        incident.member,
        recovered
            + " of "
            + gained.entities().size()
            + " entities in the moved shards reported a recovery within "
            + incidentTimeout
            + " (hand-written behaviours do not report theirs)",
        null,
        null);
  }

  /** The wall-clock time (epoch ms) of a System.nanoTime() reading. */
  private long wallMillis(long nanos) {
    return wallAtStart + TimeUnit.NANOSECONDS.toMillis(nanos - nanosAtStart);
  }

  /** Milliseconds from one step to a later one, exactly the difference of their shown times. */
  private long between(long fromNanos, long toNanos) {
    return wallMillis(toNanos) - wallMillis(fromNanos);
  }

  private void step(
      long atNanos, Kind kind, Address member, String detail, Long durationMs, Kind from) {
    effects.step(
        new HealingEvent(wallMillis(atNanos), kind, member.toString(), detail, durationMs, from));
  }
}
