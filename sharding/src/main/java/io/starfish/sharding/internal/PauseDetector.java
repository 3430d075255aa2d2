package io.starfish.sharding.internal;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that this JVM was paused (a long GC, VM steal, SIGSTOP) and keeps its entities from
 * taking commands until the node has seen its cluster membership again. While a node is paused, the
 * others may down it and restart its entities elsewhere; when it wakes, its own cluster view is the
 * stale one from before the pause, so the minority guard alone would let it serve.
 *
 * <p>A ticker thread records the monotonic time every {@code tick}; a gap longer than {@code
 * threshold} is a pause. Because the entities may run before the ticker after a wake-up, a tick
 * that is overdue counts as a pause too. After a pause, commands are refused for at least {@code
 * confirm-after} (time for the peers' gossip and heartbeats to arrive: a downed node learns it and
 * stops) and until this node sees itself Up and every member reachable.
 *
 * <p>This is the first line only: it cannot stop a write that was already queued in the Cassandra
 * driver before the pause. The journal's fence (FencedCassandraJournal) is what guarantees that a
 * superseded incarnation never writes.
 */
public final class PauseDetector implements Extension {

  private static final Logger log = LoggerFactory.getLogger(PauseDetector.class);

  /** Settings of {@code starfish.sharding.pause-guard}. */
  record Settings(boolean enabled, Duration threshold, Duration confirmAfter, Duration tick) {
    static Settings create(Config config) {
      Config c = config.getConfig("starfish.sharding.pause-guard");
      return new Settings(
          c.getBoolean("enabled"),
          c.getDuration("threshold"),
          c.getDuration("confirm-after"),
          c.getDuration("tick"));
    }
  }

  private static final ExtensionId<PauseDetector> ID =
      new ExtensionId<>() {
        @Override
        public PauseDetector createExtension(ActorSystem<?> system) {
          PauseDetector detector =
              new PauseDetector(Settings.create(system.settings().config()), System::nanoTime);
          if (detector.settings.enabled()) {
            detector.startTicker(system);
          }
          return detector;
        }
      };

  private final Settings settings;
  private final LongSupplier clock;
  private volatile long lastTick;

  /** When the last pause ended (clock nanos), 0 when none is waiting for re-confirmation. */
  private volatile long wokeAt;

  private volatile long pausedForNanos;

  PauseDetector(Settings settings, LongSupplier clock) {
    this.settings = settings;
    this.clock = clock;
    this.lastTick = clock.getAsLong();
  }

  public static PauseDetector get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private void startTicker(ActorSystem<?> system) {
    Thread ticker =
        new Thread(
            () -> {
              while (!system.getWhenTerminated().toCompletableFuture().isDone()) {
                tick();
                try {
                  Thread.sleep(settings.tick().toMillis());
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "starfish-pause-detector");
    ticker.setDaemon(true);
    ticker.start();
  }

  /** Records the time; a gap since the previous tick longer than the threshold is a pause. */
  void tick() {
    long now = clock.getAsLong();
    notePause(now);
    lastTick = now;
  }

  private void notePause(long now) {
    long gap = now - lastTick;
    if (gap > settings.threshold().toNanos() + settings.tick().toNanos()) {
      synchronized (this) {
        if (wokeAt == 0 || now - wokeAt > settings.threshold().toNanos()) {
          pausedForNanos = gap;
          log.warn(
              "this JVM was paused for {} ms (GC, VM steal or SIGSTOP): entity commands are"
                  + " refused until this node has re-confirmed its cluster membership",
              gap / 1_000_000);
        }
        wokeAt = now;
        lastTick = now;
      }
    }
  }

  /**
   * Why entities on this node must not take commands now, if they must not: it was paused, and has
   * not yet re-confirmed its membership.
   */
  public Optional<String> problem(CurrentClusterState state, Member self) {
    return problem(self.status() == MemberStatus.up(), state.getUnreachable().isEmpty());
  }

  /** As above, from this node's view: is it Up, and does it see every member reachable. */
  Optional<String> problem(boolean selfUp, boolean allReachable) {
    if (!settings.enabled()) {
      return Optional.empty();
    }
    long now = clock.getAsLong();
    notePause(now); // the ticker may not have run yet since the wake-up
    long woke = wokeAt;
    if (woke == 0) {
      return Optional.empty();
    }
    String paused = "this node was paused for " + pausedForNanos / 1_000_000 + " ms";
    if (now - woke < settings.confirmAfter().toNanos()) {
      return Optional.of(paused + "; re-confirming its cluster membership");
    }
    if (!selfUp || !allReachable) {
      return Optional.of(
          paused
              + "; its cluster view is not clean yet ("
              + (selfUp ? "a member is unreachable" : "this member is not Up")
              + ")");
    }
    synchronized (this) {
      if (wokeAt == woke) {
        wokeAt = 0;
        log.info("cluster membership re-confirmed after the pause: serving again");
      }
    }
    return Optional.empty();
  }
}
