package io.starfish.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.starfish.observability.HealingEvent;
import io.starfish.sharding.ShardPlacement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/cluster} (membership as this node sees it), {@code GET /api/v1/cluster/shards}
 * (per entity type and node: shard ids and entity counts) and {@code GET /api/v1/cluster/events}
 * (this node's healing timeline: unreachable, downed, removed, shards reallocated, entities
 * recovered, each with its time and the duration since the step before).
 */
public final class ClusterRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(ClusterRoutes.class);

  private final Cluster cluster;
  private final Function<Duration, CompletionStage<Map<String, List<ShardPlacement>>>> placement;
  private final Supplier<List<HealingEvent>> timeline;
  private final HttpSettings settings;

  /**
   * @param placement where the shards live (e.g. {@code StarfishSharding::placement})
   */
  public ClusterRoutes(
      ActorSystem<?> system,
      Function<Duration, CompletionStage<Map<String, List<ShardPlacement>>>> placement,
      Supplier<List<HealingEvent>> timeline,
      HttpSettings settings) {
    this.cluster = Cluster.get(system);
    this.placement = placement;
    this.timeline = timeline;
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("cluster"),
        () ->
            get(
                () ->
                    concat(
                        pathEnd(() -> complete(JsonResponses.ok(members()))),
                        path("shards", () -> completeWithFuture(shards())),
                        path("events", () -> complete(JsonResponses.ok(events()))))));
  }

  /** This node's healing timeline, oldest step first. */
  private Timeline events() {
    List<Step> steps = new ArrayList<>();
    for (HealingEvent event : timeline.get()) {
      boolean timed = event.durationMs() != null;
      steps.add(
          new Step(
              event.time(),
              event.at(),
              event.kind().wireName(),
              event.member(),
              event.detail(),
              event.durationMs(),
              timed ? event.durationFrom().wireName() : null));
    }
    return new Timeline(cluster.selfMember().address().toString(), steps);
  }

  private Members members() {
    CurrentClusterState state = cluster.state();
    // The oldest Up (or Leaving) member hosts the cluster singletons, among them every entity
    // type's shard coordinator: losing it costs a coordinator hand-over (docs/cluster.md).
    Member oldest = null;
    for (Member member : state.getMembers()) {
      boolean eligible =
          member.status() == MemberStatus.up() || member.status() == MemberStatus.leaving();
      if (eligible && (oldest == null || member.isOlderThan(oldest))) {
        oldest = member;
      }
    }
    List<MemberView> members = new ArrayList<>();
    for (Member member : state.getMembers()) {
      members.add(MemberView.of(member, !state.getUnreachable().contains(member)));
    }
    // A member that is unreachable and already removed is no longer in getMembers(); list the
    // unreachable ones that are missing so an operator sees them until they are gone for good.
    for (Member member : state.getUnreachable()) {
      boolean listed = false;
      for (Member m : state.getMembers()) {
        listed |= m.uniqueAddress().equals(member.uniqueAddress());
      }
      if (!listed) {
        members.add(MemberView.of(member, false));
      }
    }
    return new Members(
        cluster.selfMember().address().toString(),
        state.getLeader() != null ? state.getLeader().toString() : null,
        oldest != null ? oldest.address().toString() : null,
        members);
  }

  private CompletionStage<HttpResponse> shards() {
    return placement
        .apply(settings.shardStatsTimeout())
        .thenApply(
            byType -> {
              // Linked maps: types and nodes stay in the order the cluster reported them.
              Map<String, Map<String, NodeShards>> body = new LinkedHashMap<>();
              byType.forEach(
                  (type, placements) -> {
                    Map<String, NodeShards> nodes = new LinkedHashMap<>();
                    for (ShardPlacement placement : placements) {
                      nodes.put(placement.node(), NodeShards.of(placement));
                    }
                    body.put(type, nodes);
                  });
              return JsonResponses.ok(body);
            })
        .exceptionally(
            failure -> {
              log.warn("shard statistics unavailable: {}", failure.toString());
              return Problem.of(
                      "unavailable",
                      "Shard statistics unavailable",
                      503,
                      "the shard regions did not report within "
                          + settings.shardStatsTimeout().toMillis()
                          + " ms")
                  .toResponse("/api/v1/cluster/shards", settings.retryAfterSeconds());
            });
  }

  // The answers' bodies, field for field in this order.

  /** {@code leader} and {@code oldest} are null (and present) while there is none. */
  record Members(String self, String leader, String oldest, List<MemberView> members) {}

  record MemberView(
      String address, String status, List<String> roles, boolean reachable, String dataCenter) {

    /** The roles without the data-center role Pekko adds, sorted. */
    static MemberView of(Member member, boolean reachable) {
      return new MemberView(
          member.address().toString(),
          member.status().toString(),
          member.getRoles().stream().filter(role -> !role.startsWith("dc-")).sorted().toList(),
          reachable,
          member.dataCenter());
    }
  }

  record Timeline(String node, List<Step> events) {}

  /** One healing step; the duration only when it has one. */
  record Step(
      String time,
      long at,
      String kind,
      String member,
      String detail,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long durationMs,
      @JsonInclude(JsonInclude.Include.NON_NULL) String durationFrom) {}

  record NodeShards(
      int shardCount, int entityCount, Map<String, Integer> shards, List<String> failedShards) {

    static NodeShards of(ShardPlacement placement) {
      return new NodeShards(
          placement.entitiesPerShard().size(),
          placement.entityCount(),
          placement.entitiesPerShard(),
          placement.failedShards().stream().sorted().toList());
    }
  }
}
