package io.starfish.observability;

import io.starfish.observability.internal.HealingObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * This node's record of how the cluster healed: the recent {@link HealingEvent}s, oldest first,
 * kept up to {@code starfish.timeline.size}. {@link #start} begins observing (cluster events, this
 * node's shard regions, entity recoveries); every recorded step is also logged, one line each, and
 * the durations go to the starfish_healing_* metrics.
 */
public final class HealingTimeline implements Extension {

  private static final ExtensionId<HealingTimeline> ID =
      new ExtensionId<>() {
        @Override
        public HealingTimeline createExtension(ActorSystem<?> system) {
          return new HealingTimeline(TimelineSettings.create(system.settings().config()));
        }
      };

  private final TimelineSettings settings;
  private final ArrayDeque<HealingEvent> events = new ArrayDeque<>();

  HealingTimeline(TimelineSettings settings) {
    this.settings = settings;
  }

  public static HealingTimeline get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Starts the node's observer (once per node, after sharding has started).
   *
   * @param entityTypes the registered entity types (one shard and entity gauge each)
   * @param shards reads this node's shards and running entities
   */
  public static void start(
      ActorSystem<?> system, Iterable<String> entityTypes, LocalShards shards) {
    HealingTimeline timeline = get(system);
    // restarted if it fails: the timeline and the gauges' values live outside it
    system.systemActorOf(
        Behaviors.supervise(
                HealingObserver.create(entityTypes, shards, timeline::record, timeline.settings))
            .onFailure(SupervisorStrategy.restart()),
        "starfish-healing-observer",
        Props.empty());
  }

  /** Adds a step; the oldest is dropped beyond the configured size. */
  public synchronized void record(HealingEvent event) {
    events.addLast(event);
    while (events.size() > settings.size()) {
      events.removeFirst();
    }
  }

  /** The recorded steps, ordered by the time they happened. */
  public synchronized List<HealingEvent> events() {
    List<HealingEvent> copy = new ArrayList<>(events);
    // a recovery is recorded when noticed but stamped with when it happened: keep time order
    copy.sort(Comparator.comparingLong(HealingEvent::at));
    return copy;
  }
}
