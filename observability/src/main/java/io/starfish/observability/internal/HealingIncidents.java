package io.starfish.observability.internal;

import io.starfish.observability.HealingEvent;
import io.starfish.observability.HealingEvent.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;

/**
 * The healing timeline's state machine: follows each failed member from unreachable until its
 * shards have moved to this node and their entities have recovered here, and emits the steps. Pure:
 * it has no actor, clock or registry; the observer feeds it cluster events, polls of this node's
 * shards and the time (System.nanoTime()), and receives steps and durations through {@link
 * Effects}. Not thread-safe (one actor drives it).
 */
final class HealingIncidents {

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

  /** How incidents report: through this class's clock and effects. */
  private final Incident.Steps steps =
      new Incident.Steps() {
        @Override
        public void step(
            long atNanos, Kind kind, Address member, String detail, Long durationMs, Kind from) {
          HealingIncidents.this.step(atNanos, kind, member, detail, durationMs, from);
        }

        @Override
        public long between(long fromNanos, long toNanos) {
          return HealingIncidents.this.between(fromNanos, toNanos);
        }

        @Override
        public void downedToRecovered(Duration duration) {
          effects.downedToRecovered(duration);
        }
      };

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
        incident.timedOut(local, now, recoveries, steps, incidentTimeout);
        over = true;
      } else {
        over = freshShards && incident.follow(local, now, recoveries, steps);
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
