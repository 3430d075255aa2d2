package io.starfish.runtime.internal;

import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.ClusterLogMarker;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.SplitBrainResolverBase;
import org.apache.pekko.remote.artery.ThisActorSystemQuarantinedEvent;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko's split-brain resolver actor (all logic in Pekko's {@code SplitBrainResolverBase}) with a
 * shorter tick; everything else mirrors Pekko's own final {@code SplitBrainResolver}: it subscribes
 * to cluster events and to quarantine events, and downs through {@link Cluster#down}. See {@link
 * StarfishDowningProvider}.
 */
final class QuickTickSplitBrainResolver extends SplitBrainResolverBase {

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
