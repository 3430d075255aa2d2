package io.starfish.sharding.internal;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
 * reachability events as they arrive, and, after a member is downed (or leaves), which of its
 * shards this node took over and when their entities had recovered here. The latter comes from
 * polling this node's shard regions (often while a failure is open) and from each entity's own
 * report of its recovery ({@link EntityTelemetry}). Also keeps the per-type shard and entity
 * gauges.
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

  /** A failure (or graceful leave) of one member being followed on this node. */
  private static final class Incident {
    final Address member;
    long unreachableAt;

    /** When the member was downed or started leaving: the start of its shards' move. */
    long movedAt;

    String movedBy;

    /** This node's shards (per type) when the move began; anything beyond came from the member. */
    Map<String, Set<String>> baseline;

    boolean reallocated;
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
  private final Map<Address, Incident> incidents = new LinkedHashMap<>();
  private final Map<String, DowningDecision> decisions = new HashMap<>();
  private final Timer unreachableToDowned;
  private final Timer downedToRecovered;

  /** Latest poll: type to shard id to running entity ids. */
  private Map<String, Map<String, Set<String>>> local = Map.of();

  private final Map<String, Integer> shardGauge = new ConcurrentHashMap<>();
  private final Map<String, Integer> entityGauge = new ConcurrentHashMap<>();
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
    this.strategy =
        context
            .getSystem()
            .settings()
            .config()
            .getString("pekko.cluster.split-brain-resolver.active-strategy");
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
    MeterRegistry registry = metrics.registry();
    for (String type : sharding.registry().names()) {
      shardGauge.put(type, 0);
      entityGauge.put(type, 0);
      Gauge.builder("starfish.shards.active", shardGauge, gauge -> gauge.getOrDefault(type, 0))
          .description("Shards hosted by this node, per entity type")
          .tag("type", type)
          .register(registry);
      Gauge.builder("starfish.entities.active", entityGauge, gauge -> gauge.getOrDefault(type, 0))
          .description("Entities running on this node, per entity type")
          .tag("type", type)
          .register(registry);
    }

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

  private Behavior<Message> onMember(ClusterEvent.MemberEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return Behaviors.same();
    }
    long now = System.currentTimeMillis();
    if (event instanceof ClusterEvent.MemberUp) {
      record(now, HealingEvent.MEMBER_UP, member, "member is Up", null, null);
    } else if (event instanceof ClusterEvent.MemberLeft) {
      Incident incident = incidents.computeIfAbsent(member, Incident::new);
      startMove(incident, now, "leaving gracefully");
      record(
          now,
          HealingEvent.MEMBER_LEAVING,
          member,
          "member is leaving gracefully; its shards are handed off",
          null,
          null);
    } else if (event instanceof ClusterEvent.MemberDowned) {
      Incident incident = incidents.computeIfAbsent(member, Incident::new);
      String by = downedBy(member);
      startMove(incident, now, by);
      Long sinceUnreachable = null;
      if (incident.unreachableAt > 0) {
        sinceUnreachable = now - incident.unreachableAt;
        unreachableToDowned.record(Duration.ofMillis(sinceUnreachable));
      }
      record(
          now,
          HealingEvent.MEMBER_DOWNED,
          member,
          "downed by " + by,
          sinceUnreachable,
          sinceUnreachable == null ? null : HealingEvent.MEMBER_UNREACHABLE);
    } else if (event instanceof ClusterEvent.MemberRemoved removed) {
      Incident incident = incidents.computeIfAbsent(member, Incident::new);
      boolean graceful = removed.previousStatus() == MemberStatus.exiting();
      if (incident.movedAt == 0) {
        startMove(incident, now, graceful ? "leaving gracefully" : "removal");
      }
      record(
          now,
          HealingEvent.MEMBER_REMOVED,
          member,
          graceful
              ? "member left the cluster"
              : "member removed from the cluster (was " + removed.previousStatus() + ")",
          now - incident.movedAt,
          graceful ? HealingEvent.MEMBER_LEAVING : HealingEvent.MEMBER_DOWNED);
    }
    return Behaviors.same();
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
    return "the split-brain resolver (strategy "
        + strategy
        + (leader != null ? ", decided on the leader " + leader : "")
        + ")";
  }

  private void startMove(Incident incident, long now, String by) {
    if (incident.movedAt != 0) {
      return;
    }
    incident.movedAt = now;
    incident.movedBy = by;
    Map<String, Set<String>> baseline = new HashMap<>();
    local.forEach((type, shards) -> baseline.put(type, Set.copyOf(shards.keySet())));
    incident.baseline = baseline;
    pollSoon();
  }

  private Behavior<Message> onReachability(ClusterEvent.ReachabilityEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return Behaviors.same();
    }
    long now = System.currentTimeMillis();
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
    } else if (event instanceof ClusterEvent.ReachableMember) {
      Incident incident = incidents.get(member);
      Long since = null;
      if (incident != null && incident.unreachableAt > 0) {
        since = now - incident.unreachableAt;
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
    context.pipeToSelf(sharding.localShards(Duration.ofSeconds(3)), Polled::new);
    return Behaviors.same();
  }

  private Behavior<Message> onPolled(Polled polled) {
    polling = false;
    long now = System.currentTimeMillis();
    if (polled.failure() == null) {
      local = polled.shards();
      local.forEach(
          (type, shards) -> {
            shardGauge.put(type, shards.size());
            entityGauge.put(type, shards.values().stream().mapToInt(Set::size).sum());
          });
      followIncidents(now);
    } else {
      log.debug("reading this node's shard regions failed: {}", polled.failure().toString());
    }
    long oldestOpen =
        incidents.values().stream()
            .filter(incident -> incident.movedAt > 0)
            .mapToLong(incident -> incident.movedAt)
            .min()
            .orElse(now - 60_000);
    telemetry.forgetRecoveriesBefore(Math.min(oldestOpen, now - 60_000));
    boolean open = incidents.values().stream().anyMatch(incident -> incident.movedAt > 0);
    timers.startSingleTimer(
        Tick.INSTANCE, open ? settings.incidentPollInterval() : settings.pollInterval());
    return Behaviors.same();
  }

  private void followIncidents(long now) {
    List<Address> closed = new ArrayList<>();
    for (Incident incident : incidents.values()) {
      if (incident.movedAt == 0) {
        continue;
      }
      if (follow(incident, now)) {
        closed.add(incident.member);
      }
    }
    closed.forEach(incidents::remove);
  }

  /** Returns true when the incident is over (for this node). */
  private boolean follow(Incident incident, long now) {
    Map<String, List<String>> gained = new TreeMap<>();
    List<String[]> entities = new ArrayList<>();
    local.forEach(
        (type, shards) -> {
          Set<String> before = incident.baseline.getOrDefault(type, Set.of());
          shards.forEach(
              (shard, ids) -> {
                if (!before.contains(shard)) {
                  gained.computeIfAbsent(type, t -> new ArrayList<>()).add(shard);
                  ids.forEach(id -> entities.add(new String[] {type, id}));
                }
              });
        });
    long firstRecovery = Long.MAX_VALUE;
    long lastRecovery = 0;
    int recovered = 0;
    for (String[] entity : entities) {
      long at = telemetry.lastRecovery(entity[0], entity[1]);
      if (at >= incident.movedAt) {
        recovered++;
        firstRecovery = Math.min(firstRecovery, at);
        lastRecovery = Math.max(lastRecovery, at);
      }
    }
    boolean timedOut = now - incident.movedAt > settings.incidentTimeout().toMillis();
    if (!incident.reallocated && !gained.isEmpty()) {
      incident.reallocated = true;
      // The shards were here before any of their entities had recovered here.
      long at = Math.min(now, firstRecovery);
      int count = gained.values().stream().mapToInt(List::size).sum();
      record(
          at,
          HealingEvent.SHARDS_REALLOCATED,
          incident.member,
          count + " of its shards now on this node: " + gained,
          at - incident.movedAt,
          fromKind(incident));
    }
    if (!incident.reallocated) {
      return timedOut;
    }
    int count = entities.size();
    boolean allRecovered = count > 0 && recovered == count;
    boolean steady = count == incident.lastEntityCount;
    incident.settledPolls =
        (steady && (allRecovered || count == 0)) ? incident.settledPolls + 1 : 0;
    incident.lastEntityCount = count;
    if (allRecovered && incident.settledPolls >= SETTLE_POLLS) {
      long took = lastRecovery - incident.movedAt;
      if (HealingEvent.MEMBER_DOWNED.equals(fromKind(incident))) {
        downedToRecovered.record(Duration.ofMillis(took));
      }
      record(
          lastRecovery,
          HealingEvent.ENTITIES_RECOVERED,
          incident.member,
          count + " of its entities restarted on this node and recovered from the journal",
          took,
          fromKind(incident));
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
    if (timedOut) {
      record(
          now,
          HealingEvent.ENTITIES_RECOVERED,
          incident.member,
          recovered
              + " of "
              + count
              + " entities in the moved shards reported a recovery within "
              + settings.incidentTimeout()
              + " (hand-written behaviours do not report theirs)",
          null,
          null);
      return true;
    }
    return false;
  }

  private static String fromKind(Incident incident) {
    return incident.movedBy != null && incident.movedBy.startsWith("leaving")
        ? HealingEvent.MEMBER_LEAVING
        : HealingEvent.MEMBER_DOWNED;
  }

  private void record(
      long at, String kind, Address member, String detail, Long durationMs, String from) {
    HealingEvent event = new HealingEvent(at, kind, member.toString(), detail, durationMs, from);
    timeline.record(event);
    if (durationMs != null) {
      log.info("healing: {} {}: {} ({} ms after {})", kind, member, detail, durationMs, from);
    } else {
      log.info("healing: {} {}: {}", kind, member, detail);
    }
  }
}
