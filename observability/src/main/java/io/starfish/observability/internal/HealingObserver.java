package io.starfish.observability.internal;

import io.micrometer.core.instrument.Timer;
import io.starfish.observability.DowningDecision;
import io.starfish.observability.EntityTelemetry;
import io.starfish.observability.HealingEvent;
import io.starfish.observability.HealingTimeline;
import io.starfish.observability.LocalShards;
import io.starfish.observability.StarfishMetrics;
import io.starfish.observability.TimelineSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actor around {@link HealingIncidents}: subscribes to membership, reachability and downing
 * decisions, polls this node's shards (often while a failure is open), logs each step and records
 * it in the {@link HealingTimeline}, and feeds the healing histograms and the per-type shard and
 * entity gauges.
 */
public final class HealingObserver {

  private static final Logger log = LoggerFactory.getLogger(HealingTimeline.class);

  interface Message {}

  private record MemberChange(ClusterEvent.MemberEvent event) implements Message {}

  private record ReachabilityChange(ClusterEvent.ReachabilityEvent event) implements Message {}

  private record Decision(DowningDecision decision) implements Message {}

  private enum Tick implements Message {
    INSTANCE
  }

  private record Polled(Map<String, Map<String, Set<String>>> shards, Throwable failure)
      implements Message {}

  private final ActorContext<Message> context;
  private final LocalShards shards;
  private final TimelineSettings settings;
  private final EntityTelemetry telemetry;
  private final TimerScheduler<Message> timers;
  private final HealingIncidents incidents;
  private final String strategy;
  private final Duration pollTimeout;
  private final Map<String, DowningDecision> decisions = new HashMap<>();
  private boolean polling;

  public static Behavior<Message> create(
      Iterable<String> entityTypes,
      LocalShards shards,
      Consumer<HealingEvent> timeline,
      TimelineSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new HealingObserver(context, timers, entityTypes, shards, timeline, settings)
                        .behavior()));
  }

  private HealingObserver(
      ActorContext<Message> context,
      TimerScheduler<Message> timers,
      Iterable<String> entityTypes,
      LocalShards shards,
      Consumer<HealingEvent> timeline,
      TimelineSettings settings) {
    this.context = context;
    this.timers = timers;
    this.shards = shards;
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
    Timer unreachableToDowned =
        metrics.healing(
            "starfish.healing.unreachable.to.downed",
            "From a member becoming unreachable to its downing, as seen by this node");
    Timer downedToRecovered =
        metrics.healing(
            "starfish.healing.downed.to.recovered",
            "From a member's downing to the last of its entities that moved to this node having"
                + " recovered here");
    this.incidents =
        new HealingIncidents(
            settings.incidentTimeout(),
            telemetry::lastRecovery,
            new HealingIncidents.Effects() {
              @Override
              public void step(HealingEvent event) {
                logStep(event);
                timeline.accept(event);
              }

              @Override
              public void unreachableToDowned(Duration duration) {
                unreachableToDowned.record(duration);
              }

              @Override
              public void downedToRecovered(Duration duration) {
                downedToRecovered.record(duration);
              }
            },
            System.currentTimeMillis(),
            System.nanoTime());
    telemetry.registerActiveGauges(entityTypes);
    subscribe();
    context.getSelf().tell(Tick.INSTANCE);
  }

  private void subscribe() {
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
  }

  private Behavior<Message> behavior() {
    return Behaviors.receive(Message.class)
        .onMessage(MemberChange.class, change -> afterEvent(() -> onMember(change.event())))
        .onMessage(
            ReachabilityChange.class, change -> afterEvent(() -> onReachability(change.event())))
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

  private Behavior<Message> afterEvent(Runnable handler) {
    handler.run();
    if (incidents.takePollRequest() && !polling) {
      timers.startSingleTimer(Tick.INSTANCE, Duration.ZERO);
    }
    return Behaviors.same();
  }

  private Address self() {
    return Cluster.get(context.getSystem()).selfMember().address();
  }

  private void onMember(ClusterEvent.MemberEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return;
    }
    long now = System.nanoTime();
    if (event instanceof ClusterEvent.MemberUp) {
      incidents.memberUp(member, now);
    } else if (event instanceof ClusterEvent.MemberLeft) {
      incidents.memberLeft(member, now);
    } else if (event instanceof ClusterEvent.MemberDowned) {
      incidents.memberDowned(member, now, downedBy(member));
    } else if (event instanceof ClusterEvent.MemberRemoved removed) {
      incidents.memberRemoved(member, removed.previousStatus(), now);
    }
  }

  private void onReachability(ClusterEvent.ReachabilityEvent event) {
    Address member = event.member().address();
    if (member.equals(self())) {
      return;
    }
    if (event instanceof ClusterEvent.UnreachableMember) {
      incidents.unreachable(member, System.nanoTime());
    } else if (event instanceof ClusterEvent.ReachableMember) {
      incidents.reachable(member, System.nanoTime());
    }
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

  private Behavior<Message> poll() {
    if (polling) {
      return Behaviors.same();
    }
    polling = true;
    context.pipeToSelf(shards.read(pollTimeout), Polled::new);
    return Behaviors.same();
  }

  private Behavior<Message> onPolled(Polled polled) {
    polling = false;
    long now = System.nanoTime();
    if (polled.failure() == null) {
      polled
          .shards()
          .forEach(
              (type, byShard) ->
                  telemetry.active(
                      type, byShard.size(), byShard.values().stream().mapToInt(Set::size).sum()));
      incidents.polled(polled.shards(), now);
    } else {
      log.debug("reading this node's shard regions failed: {}", polled.failure().toString());
      incidents.pollFailed(now);
    }
    incidents.takePollRequest(); // this poll was it
    long keepSince = incidents.followedSince(now);
    telemetry.forgetRecoveriesBefore(Math.min(keepSince, now - TimeUnit.MINUTES.toNanos(1)));
    timers.startSingleTimer(
        Tick.INSTANCE,
        incidents.healing() ? settings.incidentPollInterval() : settings.pollInterval());
    return Behaviors.same();
  }

  private static void logStep(HealingEvent event) {
    if (event.durationMs() != null) {
      log.info(
          "healing: {} {}: {} ({} ms after {})",
          event.kind(),
          event.member(),
          event.detail(),
          event.durationMs(),
          event.durationFrom());
    } else {
      log.info("healing: {} {}: {}", event.kind(), event.member(), event.detail());
    }
  }
}
