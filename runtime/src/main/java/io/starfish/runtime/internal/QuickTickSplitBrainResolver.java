package io.starfish.runtime.internal;

import io.starfish.observability.DowningDecision;
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

  /** When this node itself became Up, as System.nanoTime(); 0 before. */
  private long selfUpNanos;

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

  /**
   * Whether this node itself became Up less than warm-up-period ago (or is not Up yet). Its own
   * failure detector is then the least reliable in the cluster: a JVM that is still JIT compiling
   * and recovering shards reads every other node's heartbeats late and marks healthy nodes
   * unreachable (seen in the fault suite: a node restarted under load on 2 cores flapped the
   * reachability of both others for 15 s).
   */
  private boolean inOwnWarmUp() {
    long up = selfUpNanos;
    return up == 0
        || System.nanoTime() - up
            < StarfishDowningProvider.warmUp(context().system().settings().config())
                .period()
                .toNanos();
  }

  /**
   * Pekko downs every node (its view of the whole cluster) when reachability keeps changing for
   * stable-after + down-all-when-unstable without a decision; the check runs on every node, leader
   * or not. A node in its own warm-up skips it: a fresh JVM starved of CPU reads the others'
   * heartbeats late, sees reachability flap, and took the whole healthy cluster down with it (the
   * fault suite's rolling restart on 2 cores, before this change). The established nodes keep the
   * check, and judge the fresh node. Its normal decisions are unchanged: a fresh node that is
   * really cut off from the majority still downs itself.
   */
  @Override
  public FiniteDuration downAllWhenUnstable() {
    FiniteDuration configured = super.downAllWhenUnstable();
    return inOwnWarmUp() ? FiniteDuration.fromNanos(0) : configured;
  }

  /** Notes joins (and this node's own start: the initial state arrives as MemberUp events). */
  @Override
  public void aroundReceive(PartialFunction<Object, BoxedUnit> receive, Object message) {
    if (message instanceof ClusterEvent.MemberUp up
        && up.member().uniqueAddress().equals(selfUniqueAddress())) {
      selfUpNanos = System.nanoTime();
    }
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
    // for this node's healing timeline: which strategy and decision downed the member
    context()
        .system()
        .eventStream()
        .publish(
            new DowningDecision(
                node.address().toString(),
                context()
                    .system()
                    .settings()
                    .config()
                    .getString("pekko.cluster.split-brain-resolver.active-strategy"),
                decision.toString()));
    cluster().down(node.address());
  }
}
