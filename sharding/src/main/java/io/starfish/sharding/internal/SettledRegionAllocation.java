package io.starfish.sharding.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Set;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pekko's least-shard allocation, except that no shard is moved to (or newly allocated on) a shard
 * region during its first {@code settleTime} while a settled region can take it. A node that has
 * just started runs slowly for a while on a busy machine (class loading, JIT, its first Cassandra
 * queries): entities moved there at once made their callers wait past the ask timeout during a
 * rolling restart. Once the region is settled, rebalancing moves shards to it as usual.
 *
 * <p>A region's age counts from the first time this coordinator saw it. A coordinator that has just
 * taken over sees every region as new; when no region is settled, all are candidates, so nothing
 * waits.
 */
public final class SettledRegionAllocation
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {

  private static final long serialVersionUID = 1L;

  private final ShardCoordinator.ShardAllocationStrategy delegate;
  private final long settleNanos;
  private final LongSupplier clock;
  private final Map<ActorRef, Long> firstSeen = new ConcurrentHashMap<>();

  SettledRegionAllocation(
      ShardCoordinator.ShardAllocationStrategy delegate, Duration settleTime, LongSupplier clock) {
    this.delegate = delegate;
    this.settleNanos = settleTime.toNanos();
    this.clock = clock;
  }

  /** Least-shard allocation with the given limits, moving shards only to settled regions. */
  public static SettledRegionAllocation create(
      int rebalanceAbsoluteLimit, double rebalanceRelativeLimit, Duration settleTime) {
    return new SettledRegionAllocation(
        ShardCoordinator.ShardAllocationStrategy$.MODULE$.leastShardAllocationStrategy(
            rebalanceAbsoluteLimit, rebalanceRelativeLimit),
        settleTime,
        System::nanoTime);
  }

  @Override
  public void start(ActorSystem system) {
    if (delegate instanceof ShardCoordinator.ActorSystemDependentAllocationStrategy dependent) {
      dependent.start(system);
    }
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester,
      String shardId,
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    return delegate.allocateShard(requester, shardId, settled(currentShardAllocations));
  }

  @Override
  public Future<Set<String>> rebalance(
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> currentShardAllocations,
      Set<String> rebalanceInProgress) {
    return delegate.rebalance(settled(currentShardAllocations), rebalanceInProgress);
  }

  /** The settled regions of the allocation, or all of them if none is settled. */
  scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> settled(
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> allocations) {
    long now = clock.getAsLong();
    Map<ActorRef, IndexedSeq<String>> all = CollectionConverters.asJava(allocations);
    firstSeen.keySet().retainAll(all.keySet());
    Map<ActorRef, IndexedSeq<String>> settled = new LinkedHashMap<>();
    all.forEach(
        (region, shards) -> {
          long seen = firstSeen.computeIfAbsent(region, r -> now);
          if (now - seen >= settleNanos) {
            settled.put(region, shards);
          }
        });
    if (settled.isEmpty() || settled.size() == all.size()) {
      return allocations;
    }
    return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(settled));
  }
}
