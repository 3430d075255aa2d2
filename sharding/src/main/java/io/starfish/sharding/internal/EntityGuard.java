package io.starfish.sharding.internal;

import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.ShardingSettings;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Sits in front of every sharded entity (outside its supervision): passivates the entity when it
 * has been idle, and refuses commands while the entity's node is cut off from the majority or has
 * just woken from a pause ({@link PauseDetector}).
 */
public final class EntityGuard extends BehaviorInterceptor<EntityMessage, EntityMessage> {

  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final boolean minorityGuard;

  private EntityGuard(ActorRef<ClusterSharding.ShardCommand> shard, boolean minorityGuard) {
    super(EntityMessage.class);
    this.shard = shard;
    this.minorityGuard = minorityGuard;
  }

  /** Wraps {@code entity}, which the shard {@code shard} runs. */
  public static Behavior<EntityMessage> wrap(
      Behavior<EntityMessage> entity,
      ActorRef<ClusterSharding.ShardCommand> shard,
      ShardingSettings settings) {
    return Behaviors.setup(
        context -> {
          // The receive timeout belongs to the actor, so it survives restarts of the entity.
          settings
              .passivateIdleAfter()
              .ifPresent(idle -> context.setReceiveTimeout(idle, ControlMessages.Idle.INSTANCE));
          return Behaviors.intercept(
              () -> new EntityGuard(shard, settings.minorityGuard()), entity);
        });
  }

  @Override
  public Behavior<EntityMessage> aroundReceive(
      TypedActorContext<EntityMessage> context,
      EntityMessage message,
      ReceiveTarget<EntityMessage> target) {
    if (message == ControlMessages.Idle.INSTANCE) {
      // With remember-entities on, Passivate (not a plain stop) also forgets the entity, so it is
      // not restarted on failover; the shard answers with the stop message.
      shard.tell(new ClusterSharding.Passivate<>(context.asJava().getSelf()));
      return Behaviors.same();
    }
    if (message instanceof ControlMessages.StepEnded ended && ended.result() != null) {
      // A saga on a node cut off from the majority must not persist a step's result: the majority
      // may already run this saga again. It sends the step again later (same key: the answer is
      // not lost), by which time this node has been downed or has healed.
      Optional<String> problem = writeProblem(context);
      if (problem.isPresent()) {
        return target.apply(
            context, new ControlMessages.StepEnded(ended.stepKey(), null, problem.get()));
      }
    }
    if (message instanceof EntityMessage.Execute execute) {
      Optional<String> problem = writeProblem(context);
      if (problem.isPresent()) {
        execute.replyTo().tell(new EntityResult.Unavailable(problem.get()));
        return Behaviors.same();
      }
    }
    if (message instanceof ControlMessages.TimerDue due) {
      // as a client's command: the sweeper tries again later, on the majority side
      Optional<String> problem = writeProblem(context);
      if (problem.isPresent()) {
        due.replyTo().tell(new EntityResult.Unavailable(problem.get()));
        return Behaviors.same();
      }
    }
    return target.apply(context, message);
  }

  @Override
  public Behavior<EntityMessage> aroundSignal(
      TypedActorContext<EntityMessage> context, Signal signal, SignalTarget<EntityMessage> target) {
    return target.apply(context, signal);
  }

  /** Why this node must not take writes now: it woke from a pause, or is in a minority. */
  private Optional<String> writeProblem(TypedActorContext<EntityMessage> context) {
    ActorSystem<?> system = context.asJava().getSystem();
    CurrentClusterState state = Cluster.get(system).state();
    Optional<String> paused = PauseDetector.get(system).problem(state, selfMember(context));
    if (paused.isPresent() || !minorityGuard) {
      return paused;
    }
    return minorityProblem(state, selfMember(context));
  }

  private static Member selfMember(TypedActorContext<EntityMessage> context) {
    return Cluster.get(context.asJava().getSystem()).selfMember();
  }

  /**
   * Why this node must not take writes, if it must not: it is marked unreachable by others, or it
   * reaches less than half of the cluster's members. Either way the split-brain resolver will down
   * it (or its side) and the majority will restart its entities; refusing now keeps the two copies
   * from both writing. An even split is left to the split-brain resolver.
   */
  static Optional<String> minorityProblem(CurrentClusterState state, Member self) {
    int members = 0;
    int unreachable = 0;
    for (Member member : state.getMembers()) {
      if (countsForMajority(member.status())) {
        members++;
        if (state.getUnreachable().contains(member)) {
          unreachable++;
        }
      }
    }
    if (state.getUnreachable().contains(self)) {
      return Optional.of("this node is unreachable from other cluster members");
    }
    int reachable = members - unreachable;
    if (members > 0 && reachable * 2 < members) {
      return Optional.of(
          "this node reaches only "
              + reachable
              + " of "
              + members
              + " cluster members (a minority); it will be downed");
    }
    return Optional.empty();
  }

  /**
   * Members that are staying: not on their way out (Leaving, Exiting), not Down or Removed. A
   * leaving node has handed its shards off and its process stops, so it turns unreachable while it
   * is still a member; counted, it made the remaining nodes of a rolling restart refuse writes as
   * "a minority" whenever one more member (e.g. the JVM just started, busy warming up) missed a
   * heartbeat (FaultSuiteIT's rolling upgrade failed so in CI). Single writer does not rest on this
   * guard alone: the journal's fence refuses a stale writer.
   */
  private static boolean countsForMajority(MemberStatus status) {
    return status != MemberStatus.down()
        && status != MemberStatus.leaving()
        && status != MemberStatus.exiting()
        && status != MemberStatus.removed();
  }
}
