package io.starfish.runtime.internal;

import java.time.Duration;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.DowningProvider;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.DownAllNodes;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.KeepMajority;
import org.apache.pekko.cluster.sbr.KeepOldest;
import org.apache.pekko.cluster.sbr.KeepOldestSettings;
import org.apache.pekko.cluster.sbr.LeaseMajority;
import org.apache.pekko.cluster.sbr.LeaseMajoritySettings;
import org.apache.pekko.cluster.sbr.SplitBrainResolverProvider;
import org.apache.pekko.cluster.sbr.SplitBrainResolverSettings;
import org.apache.pekko.cluster.sbr.StaticQuorum;
import org.apache.pekko.cluster.sbr.StaticQuorumSettings;
import org.apache.pekko.coordination.lease.scaladsl.LeaseProvider;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko's split-brain resolver with two changes. While a member warms up (for {@code
 * starfish.cluster.warm-up-period} after it joins) it waits {@code
 * starfish.cluster.warm-up-stable-after} instead of {@code stable-after}. And it checks every
 * {@code starfish.cluster.sbr-tick-interval} (100 ms) instead of every second whether {@code
 * stable-after} has passed. Pekko's resolver only decides on that tick, so with its fixed 1 s tick
 * a decision lands 0-1 s after {@code stable-after} (0.5 s on average), time a failover waits for
 * nothing. Strategies, settings ({@code pekko.cluster.split-brain-resolver.*}), decisions and the
 * removal margin are Pekko's own: this class builds the same strategy as {@link
 * SplitBrainResolverProvider} and runs {@link QuickTickSplitBrainResolver}, a subclass of Pekko's
 * resolver that only overrides the tick.
 *
 * <p>It relies on Pekko's internal {@code SplitBrainResolverBase} (public in bytecode, internal by
 * annotation), checked against Pekko 1.2.x; an upgrade that changes it fails compilation or the
 * cluster tests (the forked-JVM failover test needs a downing decision). Set {@code
 * pekko.cluster.downing-provider-class} back to {@code
 * org.apache.pekko.cluster.sbr.SplitBrainResolverProvider} to use Pekko's provider unchanged.
 */
public final class StarfishDowningProvider extends DowningProvider {

  static final String TICK_INTERVAL_KEY = "starfish.cluster.sbr-tick-interval";

  private final ActorSystem system;
  private final SplitBrainResolverProvider pekkoProvider;
  private final SplitBrainResolverSettings settings;

  public StarfishDowningProvider(ActorSystem system) {
    this.system = system;
    this.pekkoProvider = new SplitBrainResolverProvider(system);
    this.settings = new SplitBrainResolverSettings(system.settings().config());
  }

  @Override
  public FiniteDuration downRemovalMargin() {
    return pekkoProvider.downRemovalMargin();
  }

  @Override
  public Option<Props> downingActorProps() {
    DowningStrategy strategy = strategy();
    FiniteDuration stableAfter = settings.DowningStableAfter();
    warnIfDownAllPrecedesWarmUpDecisions();
    return Option.apply(
        Props.create(
            QuickTickSplitBrainResolver.class,
            () -> new QuickTickSplitBrainResolver(stableAfter, strategy)));
  }

  /** The same strategy, from the same settings, as Pekko's SplitBrainResolverProvider builds. */
  DowningStrategy strategy() {
    Cluster cluster = Cluster.get(system);
    String dc = cluster.selfDataCenter();
    UniqueAddress self = cluster.selfUniqueAddress();
    String name = settings.DowningStrategy();
    return switch (name) {
      case "keep-majority" -> new KeepMajority(dc, settings.keepMajorityRole(), self);
      case "static-quorum" -> {
        StaticQuorumSettings quorum = settings.staticQuorumSettings();
        yield new StaticQuorum(dc, quorum.size(), quorum.role(), self);
      }
      case "keep-oldest" -> {
        KeepOldestSettings oldest = settings.keepOldestSettings();
        yield new KeepOldest(dc, oldest.downIfAlone(), oldest.role(), self);
      }
      case "down-all" -> new DownAllNodes(dc, self);
      case "lease-majority" -> {
        LeaseMajoritySettings lease = settings.leaseMajoritySettings();
        yield new LeaseMajority(
            dc,
            lease.role(),
            LeaseProvider.get(system)
                .getLease(
                    lease.safeLeaseName(system.name()),
                    lease.leaseImplementation(),
                    self.address().hostPort()),
            lease.acquireLeaseDelayForMinority(),
            lease.releaseAfter(),
            self);
      }
      // SplitBrainResolverSettings has already rejected any other name with a clear message
      default ->
          throw new IllegalArgumentException("Unknown split-brain resolver strategy " + name);
    };
  }

  /**
   * During a warm-up a downing decision comes warm-up-stable-after after the last reachability
   * change; a down-all-when-unstable at or below that downs the whole cluster first when a starved,
   * fresh node flaps.
   */
  private void warnIfDownAllPrecedesWarmUpDecisions() {
    FiniteDuration downAll = settings.DownAllWhenUnstable();
    Duration warmUpStableAfter = warmUp(system.settings().config()).stableAfter();
    if (downAll.toNanos() > 0 && downAll.toNanos() <= warmUpStableAfter.toNanos()) {
      system
          .log()
          .warning(
              "pekko.cluster.split-brain-resolver.down-all-when-unstable ({}) is not longer than"
                  + " {} ({}): a flapping, warming-up member can make every node down the whole"
                  + " cluster before the resolver decides",
              downAll,
              WARM_UP_STABLE_AFTER_KEY,
              warmUpStableAfter);
    }
  }

  static final String WARM_UP_PERIOD_KEY = "starfish.cluster.warm-up-period";
  static final String WARM_UP_STABLE_AFTER_KEY = "starfish.cluster.warm-up-stable-after";

  /** How long after a join the resolver waits longer, and how long it then waits. */
  record WarmUp(Duration period, Duration stableAfter) {}

  static WarmUp warmUp(com.typesafe.config.Config config) {
    Duration period = config.getDuration(WARM_UP_PERIOD_KEY);
    Duration stableAfter = config.getDuration(WARM_UP_STABLE_AFTER_KEY);
    if (period.isNegative() || stableAfter.isNegative()) {
      throw new IllegalArgumentException(
          WARM_UP_PERIOD_KEY + " and " + WARM_UP_STABLE_AFTER_KEY + " must not be negative");
    }
    return new WarmUp(period, stableAfter);
  }

  static FiniteDuration tickInterval(com.typesafe.config.Config config) {
    Duration tick = config.getDuration(TICK_INTERVAL_KEY);
    if (tick.isNegative() || tick.isZero() || tick.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException(
          TICK_INTERVAL_KEY + " must be > 0 and at most 1 s (Pekko's own tick), was " + tick);
    }
    return FiniteDuration.fromNanos(tick.toNanos());
  }
}
