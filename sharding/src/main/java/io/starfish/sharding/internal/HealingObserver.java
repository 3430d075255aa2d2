package io.starfish.sharding.internal;

import io.micrometer.core.instrument.Timer;
import io.starfish.sharding.DowningDecision;
import io.starfish.sharding.HealingEvent;
import io.starfish.sharding.HealingTimeline;
import io.starfish.sharding.StarfishSharding;
import io.starfish.sharding.TimelineSettings;
import io.starfish.supervision.StarfishMetrics;
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
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one node's view of failures and writes the {@link HealingTimeline}: membership and
 * reachability events as they arrive, and, after a member is downed, which of its shards this node
 * took over and when their entities had recovered here. The latter comes from polling this node's
 * shard regions (often while a failure is open) and from each entity's own report of its recovery
 * ({@link EntityTelemetry}). Also feeds the per-type shard and entity gauges.
 *
 * <p>Durations come from System.nanoTime() (a wall-clock step cannot make them negative); the
 * steps' wall-clock times are derived from it with the offset read when the observer started.
 */
public final class HealingObserver {

  private static final Logger log = LoggerFactory.getLogger(HealingTimeline.class);

  /** Polls whose entity count and recoveries agree before the recovery is declared complete. */
  private static final int SETTLE_POLLS = 2;

  interface Message {}

  private record MemberChange(ClusterEvent.MemberEvent event) implements Message {}

  private record ReachabilityChange(ClusterEvent.ReachabilityEvent event) implements Message {}

  private record Decision(DowningDecision decision) implements Message {}

  private enum Tick implements Message {
    INSTANCE
  }

  private record Polled(Map<String, Map<String, Set<String>>> shards, Throwable failure)
      implements Message {}

  /** A failure of one member, followed on this node from unreachable until it is removed. */
  private static final class Incident {
    final Address member;

    /** System.nanoTime() of each step; 0 until it happened. */
    long unreachableAt;

    long downedAt;

    /** When the move of its shards began: its downing, or its removal if the Down was not seen. */
    long movedAt;

    String movedFrom;

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
  }

  private final ActorContext<Message> context;
  private final StarfishSharding sharding;
  private final HealingTimeline timeline;
  private final TimelineSettings settings;
  private final EntityTelemetry telemetry;
  private final TimerScheduler<Message> timers;
  private final String strategy;
  private final Duration pollTimeout;
  private final Map<Address, Incident> incidents = new LinkedHashMap<>();
  private final Map<Address, Long> leaving = new HashMap<>();
  private final Map<String, DowningDecision> decisions = new HashMap<>();
  private final Timer unreachableToDowned;
  private final Timer downedToRecovered;
  private final long wallAtStart = System.currentTimeMillis();
  private final long nanosAtStart = System.nanoTime();

  /** Latest poll: type to shard id to running entity ids. */
  private Map<String, Map<String, Set<String>>> local = Map.of();

  private boolean polling;

  public static Behavior<Message> create(
      StarfishSharding sharding, HealingTimeline timeline, TimelineSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new HealingObserver(context, timers, sharding, timeline, settings).behavior()));
  }

  private HealingObserver(
      ActorContext<Message> context,
      TimerScheduler<Message> timers,
      StarfishSharding sharding,
      HealingTimeline timeline,
      TimelineSettings settings) {
    this.context = context;
    this.timers = timers;
    this.sharding = sharding;
    this.timeline = timeline;
    this.settings = settings;
    this.telemetry = EntityTelemetry.get(context.getSystem());
    var config = context.getSystem().settings().config();
    this.strategy = config.getString("pekko.cluster.split-brain-resolver.active-strategy");
    // longer than the regions' own query timeout, so that a region with a slow shard still answers
    this.pollTimeout =
        config
            .getDuration("pekko.cluster.sharding.shard-region-query-timeout")
            .plus(Duration.ofSeconds(1));
    StarfishMetrics metrics = StarfishMetrics.get(context.getSystem());
    this.unreachableToDowned =
        metrics.healing(
            "starfish.healing.unreachable.to.downed",
            "From a member becoming unreachable to its downing, as seen by this node");
    this.downedToRecovered =
        metrics.healing(
            "starfish.healing.downed.to.recovered",
            "From a member's downing to the last of its entities that moved to this node having"
                + " recovered here");
    telemetry.registerActiveGauges(sharding.registry().names());

    Cluster cluster = Cluster.get(context.getSystem());
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChange::new),
                ClusterEvent.MemberEvent.class));
    cluster
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(
                    ClusterEvent.ReachabilityEvent.class, ReachabilityChange::new),
                ClusterEvent.ReachabilityEvent.class));
    context
        .getSystem()
        .eventStream()
        .tell(
            new EventStream.Subscribe<>(
                DowningDecision.class,
                context.messageAdapter(DowningDecision.class, Decision::new)));
    context.getSelf().tell(Tick.INSTANCE);
  }

  private Behavior<Message> behavior() {
    return Behaviors.receive(Message.class)
        .onMessage(MemberChange.class, change -> onMember(change.event()))
        .onMessage(ReachabilityChange.class, change -> onReachability(change.event()))
        .onMessage(
            Decision.class,
            decision -> {
              decisions.put(decision.decision().member(), decision.decision());
              return Behaviors.same();
            })
        .onMessage(Tick.class, tick -> poll())
        .onMessage(Polled.class, this::onPolled)
        .build();
  }

  private Address self() {
    return Cluster.get(context.getSystem()).selfMember().address();
  }

  /** The wall-clock time (epoch ms) of a System.nanoTime() reading. */
  private long wallMillis(long nanos) {
    return wallAtStart + TimeUnit.NANOSECONDS.toMillis(nanos - nanosAtStart);
  }

  /** Milliseconds from one step to a later one, exactly the difference of their shown times. */
  private long between(long fromNanos, long toNanos) {
    return wallMillis(toNanos) - wallMillis(fromNanos);
  }

  private Behavior<Message> onMember(ClusterEvent.MemberEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    if (event instanceof ClusterEvent.MemberUp) {
      record(now, HealingEvent.MEMBER_UP, member, "member is Up", null, null);
    } else if (event instanceof ClusterEvent.MemberLeft) {
      // A graceful leave hands its shards off before the member turns Leaving: not followed.
      leaving.put(member, now);
      record(
          now,
          HealingEvent.MEMBER_LEAVING,
          member,
          "member is leaving gracefully (its shards were handed off first)",
          null,
          null);
    } else if (event instanceof ClusterEvent.MemberDowned) {
      Incident incident = incidents.computeIfAbsent(member, Incident::new);
      incident.downedAt = now;
      startMove(incident, now, HealingEvent.MEMBER_DOWNED);
      Long sinceUnreachable = null;
      if (incident.unreachableAt != 0) {
        sinceUnreachable = between(incident.unreachableAt, now);
        unreachableToDowned.record(Duration.ofNanos(now - incident.unreachableAt));
      }
      record(
          now,
          HealingEvent.MEMBER_DOWNED,
          member,
          "downed by " + downedBy(member),
          sinceUnreachable,
          sinceUnreachable == null ? null : HealingEvent.MEMBER_UNREACHABLE);
    } else if (event instanceof ClusterEvent.MemberRemoved removed) {
      onRemoved(member, removed.previousStatus(), now);
    }
    return Behaviors.same();
  }

  private void onRemoved(Address member, MemberStatus previous, long now) {
    Long left = leaving.remove(member);
    if (left != null && previous == MemberStatus.exiting()) {
      incidents.remove(member);
      record(
          now,
          HealingEvent.MEMBER_REMOVED,
          member,
          "member left the cluster",
          between(left, now),
          HealingEvent.MEMBER_LEAVING);
      return;
    }
    Incident incident = incidents.get(member);
    String detail = "member removed from the cluster (was " + previous + ")";
    if (incident != null && incident.downedAt != 0) {
      record(
          now,
          HealingEvent.MEMBER_REMOVED,
          member,
          detail,
          between(incident.downedAt, now),
          HealingEvent.MEMBER_DOWNED);
      incident.removed = true;
      if (incident.finished) {
        incidents.remove(member);
      }
      return;
    }
    // This node did not see it Down (e.g. it was cut off itself meanwhile): its shards move now.
    record(now, HealingEvent.MEMBER_REMOVED, member, detail, null, null);
    if (incident == null) {
      incident = new Incident(member);
      incidents.put(member, incident);
    }
    incident.removed = true;
    startMove(incident, now, HealingEvent.MEMBER_REMOVED);
  }

  private String downedBy(Address member) {
    DowningDecision decision = decisions.remove(member.toString());
    if (decision != null) {
      return "the split-brain resolver on this node (strategy "
          + decision.strategy()
          + ", decision "
          + decision.decision()
          + ")";
    }
    var leader = Cluster.get(context.getSystem()).state().getLeader();
    // Only the deciding node knows; a restart on the same address also downs the old incarnation.
    return "a decision taken elsewhere: the split-brain resolver (strategy "
        + strategy
        + ")"
        + (leader != null ? " on the leader " + leader : "")
        + ", or Pekko itself when the node restarted on the same address";
  }

  private void startMove(Incident incident, long now, String from) {
    if (incident.movedAt != 0) {
      return;
    }
    incident.movedAt = now;
    incident.movedFrom = from;
    if (incident.baseline == null) {
      incident.baseline = shardIds(local);
    }
    pollSoon();
  }

  private static Map<String, Set<String>> shardIds(Map<String, Map<String, Set<String>>> shards) {
    Map<String, Set<String>> ids = new HashMap<>();
    shards.forEach((type, byShard) -> ids.put(type, Set.copyOf(byShard.keySet())));
    return ids;
  }

  private Behavior<Message> onReachability(ClusterEvent.ReachabilityEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    if (event instanceof ClusterEvent.UnreachableMember) {
      Incident incident = incidents.computeIfAbsent(member, Incident::new);
      if (incident.unreachableAt == 0) {
        incident.unreachableAt = now;
      }
      record(
          now,
          HealingEvent.MEMBER_UNREACHABLE,
          member,
          "member is unreachable (missed heartbeats)",
          null,
          null);
      pollSoon(); // a fresh baseline of this node's shards before any of the member's arrive
    } else if (event instanceof ClusterEvent.ReachableMember) {
      Incident incident = incidents.get(member);
      Long since = null;
      if (incident != null && incident.unreachableAt != 0) {
        since = between(incident.unreachableAt, now);
      }
      if (incident != null && incident.movedAt == 0) {
        incidents.remove(member);
      }
      record(
          now,
          HealingEvent.MEMBER_REACHABLE,
          member,
          "member is reachable again",
          since,
          since == null ? null : HealingEvent.MEMBER_UNREACHABLE);
    }
    return Behaviors.same();
  }

  private void pollSoon() {
    if (!polling) {
      timers.startSingleTimer(Tick.INSTANCE, Duration.ZERO);
    }
  }

  private Behavior<Message> poll() {
    if (polling) {
      return Behaviors.same();
    }
    polling = true;
    context.pipeToSelf(sharding.localShards(pollTimeout), Polled::new);
    return Behaviors.same();
  }

  private Behavior<Message> onPolled(Polled polled) {
    polling = false;
    long now = System.nanoTime();
    if (polled.failure() == null) {
      // a type whose region did not answer keeps its last known shards
      Map<String, Map<String, Set<String>>> merged = new LinkedHashMap<>(local);
      merged.putAll(polled.shards());
      local = merged;
      polled
          .shards()
          .forEach(
              (type, shards) ->
                  telemetry.active(
                      type, shards.size(), shards.values().stream().mapToInt(Set::size).sum()));
      for (Incident incident : incidents.values()) {
        if (incident.baseline == null && incident.movedAt == 0) {
          incident.baseline = shardIds(local);
        }
      }
    } else {
      log.debug("reading this node's shard regions failed: {}", polled.failure().toString());
    }
    followIncidents(now, polled.failure() == null);
    long keepSince =
        incidents.values().stream()
            .filter(incident -> incident.movedAt != 0 && !incident.finished)
            .mapToLong(incident -> incident.movedAt)
            .min()
            .orElse(now);
    telemetry.forgetRecoveriesBefore(Math.min(keepSince, now - TimeUnit.MINUTES.toNanos(1)));
    boolean open =
        incidents.values().stream()
            .anyMatch(incident -> incident.movedAt != 0 && !incident.finished);
    timers.startSingleTimer(
        Tick.INSTANCE, open ? settings.incidentPollInterval() : settings.pollInterval());
    return Behaviors.same();
  }

  private void followIncidents(long now, boolean freshShards) {
    List<Address> closed = new ArrayList<>();
    for (Incident incident : incidents.values()) {
      if (incident.movedAt == 0 || incident.finished) {
        continue;
      }
      boolean over;
      if (now - incident.movedAt > settings.incidentTimeout().toNanos()) {
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

  /** The shards this node gained since the incident's baseline, and their running entities. */
  private record Gained(Map<String, List<String>> shards, List<String[]> entities) {}

  private Gained gained(Incident incident) {
    Map<String, List<String>> shards = new TreeMap<>();
    List<String[]> entities = new ArrayList<>();
    local.forEach(
        (type, byShard) -> {
          Set<String> before = incident.baseline.getOrDefault(type, Set.of());
          byShard.forEach(
              (shard, ids) -> {
                if (!before.contains(shard)) {
                  shards.computeIfAbsent(type, t -> new ArrayList<>()).add(shard);
                  ids.forEach(id -> entities.add(new String[] {type, id}));
                }
              });
        });
    return new Gained(shards, entities);
  }

  /** Returns true when the incident is over (for this node). */
  private boolean follow(Incident incident, long now) {
    Gained gained = gained(incident);
    long firstRecovery = Long.MAX_VALUE;
    long lastRecovery = Long.MIN_VALUE;
    int recovered = 0;
    for (String[] entity : gained.entities()) {
      OptionalLong at = telemetry.lastRecovery(entity[0], entity[1]);
      if (at.isPresent() && at.getAsLong() - incident.movedAt >= 0) {
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
      record(
          at,
          HealingEvent.SHARDS_REALLOCATED,
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
      long took = lastRecovery - incident.movedAt;
      if (HealingEvent.MEMBER_DOWNED.equals(incident.movedFrom)) {
        downedToRecovered.record(Duration.ofNanos(took));
      }
      record(
          lastRecovery,
          HealingEvent.ENTITIES_RECOVERED,
          incident.member,
          count + " of its entities restarted on this node and recovered from the journal",
          between(incident.movedAt, lastRecovery),
          incident.movedFrom);
      return true;
    }
    if (count == 0 && incident.settledPolls >= SETTLE_POLLS * 4) {
      record(
          now,
          HealingEvent.ENTITIES_RECOVERED,
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
          settings.incidentTimeout());
      return;
    }
    Gained gained = gained(incident);
    long recovered =
        gained.entities().stream()
            .filter(
                entity -> {
                  OptionalLong at = telemetry.lastRecovery(entity[0], entity[1]);
                  return at.isPresent() && at.getAsLong() - incident.movedAt >= 0;
                })
            .count();
    record(
        now,
        HealingEvent.ENTITIES_RECOVERED,
        incident.member,
        recovered
            + " of "
            + gained.entities().size()
            + " entities in the moved shards reported a recovery within "
            + settings.incidentTimeout()
            + " (hand-written behaviours do not report theirs)",
        null,
        null);
  }

  private void record(
      long atNanos, String kind, Address member, String detail, Long durationMs, String from) {
    long at = wallMillis(atNanos);
    HealingEvent event = new HealingEvent(at, kind, member.toString(), detail, durationMs, from);
    timeline.record(event);
    if (durationMs != null) {
      log.info("healing: {} {}: {} ({} ms after {})", kind, member, detail, durationMs, from);
    } else {
      log.info("healing: {} {}: {}", kind, member, detail);
    }
  }
}
