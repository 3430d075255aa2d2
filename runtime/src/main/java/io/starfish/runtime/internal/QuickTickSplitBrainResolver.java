package io.starfish.runtime.internal;

import io.starfish.runtime.internal.StarfishDowningProvider.WarmUp;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.ClusterLogMarker;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.SplitBrainResolverBase;
import org.apache.pekko.remote.artery.ThisActorSystemQuarantinedEvent;
import scala.PartialFunction;
import scala.concurrent.duration.Deadline;
import scala.concurrent.duration.FiniteDuration;
import scala.runtime.BoxedUnit;

/**
 * Pekko's split-brain resolver actor (all logic in Pekko's {@code SplitBrainResolverBase}) with a
 * shorter tick and a longer stable-after while a member warms up; everything else mirrors Pekko's
 * own final {@code SplitBrainResolver}: it subscribes to cluster events and to quarantine events,
 * and downs through {@link Cluster#down}. See {@link StarfishDowningProvider}.
 */
final class QuickTickSplitBrainResolver extends SplitBrainResolverBase {

  /** When a member last joined or became Up, as System.nanoTime(); 0 before the first. */
  private long lastJoinNanos;

  QuickTickSplitBrainResolver(FiniteDuration stableAfter, DowningStrategy strategy) {
    super(stableAfter, strategy);
    log()
        .info(
            "SBR started. Config: strategy [{}], stable-after [{}], tick [{}], selfUniqueAddress [{}].",
            strategy.getClass().getSimpleName(),
            stableAfter,
            tickInterval(),
            selfUniqueAddress().address());
  }

  private Cluster cluster() {
    return Cluster.get(context().system());
  }

  /**
   * Called by the base class's constructor (to start its timer), before this class's fields are
   * set: so it reads the configuration rather than a field.
   */
  @Override
  public FiniteDuration tickInterval() {
    return StarfishDowningProvider.tickInterval(context().system().settings().config());
  }

  /**
   * Pekko's deadline for a stable membership, made longer while a member is warming up (see
   * starfish.cluster.warm-up-period in reference.conf). Also called by the base class's
   * constructor, before this class's fields are set.
   */
  @Override
  public Deadline newStableDeadline() {
    Deadline deadline = super.newStableDeadline();
    long joined = lastJoinNanos;
    if (joined == 0) {
      return deadline;
    }
    WarmUp warmUp = StarfishDowningProvider.warmUp(context().system().settings().config());
    if (System.nanoTime() - joined < warmUp.period().toNanos()) {
      long extra = warmUp.stableAfter().toNanos() - stableAfterNanos();
      if (extra > 0) {
        return deadline.$plus(FiniteDuration.fromNanos(extra));
      }
    }
    return deadline;
  }

  private long stableAfterNanos() {
    return context()
        .system()
        .settings()
        .config()
        .getDuration("pekko.cluster.split-brain-resolver.stable-after")
        .toNanos();
  }

  /** Notes joins (and this node's own start: the initial state arrives as MemberUp events). */
  @Override
  public void aroundReceive(PartialFunction<Object, BoxedUnit> receive, Object message) {
    if (message instanceof ClusterEvent.MemberJoined
        || message instanceof ClusterEvent.MemberWeaklyUp
        || message instanceof ClusterEvent.MemberUp) {
      lastJoinNanos = System.nanoTime();
      // the running stable period (if any) now has to last the warm-up's longer wait
      resetStableDeadline();
    }
    super.aroundReceive(receive, message);
  }

  @Override
  public UniqueAddress selfUniqueAddress() {
    return cluster().selfUniqueAddress();
  }

  @Override
  public String selfDc() {
    return cluster().selfDataCenter();
  }

  @Override
  public void preStart() throws Exception {
    cluster()
        .subscribe(
            self(), ClusterEvent.initialStateAsEvents(), ClusterEvent.ClusterDomainEvent.class);
    context().system().eventStream().subscribe(self(), ThisActorSystemQuarantinedEvent.class);
    super.preStart();
  }

  @Override
  public void postStop() {
    cluster().unsubscribe(self());
    context().system().eventStream().unsubscribe(self(), ThisActorSystemQuarantinedEvent.class);
    super.postStop();
  }

  @Override
  public void down(UniqueAddress node, DowningStrategy.Decision decision) {
    log().info(ClusterLogMarker.sbrDowningNode(node, decision), "SBR is downing [{}]", node);
    cluster().down(node.address());
  }
}
