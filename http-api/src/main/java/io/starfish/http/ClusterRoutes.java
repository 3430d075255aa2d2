package io.starfish.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.observability.HealingEvent;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.ShardPlacement;
import java.time.Duration;
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
  private ObjectNode events() {
    ObjectNode body = EntityJson.MAPPER.createObjectNode();
    body.put("node", cluster.selfMember().address().toString());
    ArrayNode events = body.putArray("events");
    for (HealingEvent event : timeline.get()) {
      ObjectNode node = events.addObject();
      node.put("time", event.time());
      node.put("at", event.at());
      node.put("kind", event.kind().wireName());
      node.put("member", event.member());
      node.put("detail", event.detail());
      if (event.durationMs() != null) {
        node.put("durationMs", event.durationMs());
        node.put("durationFrom", event.durationFrom().wireName());
      }
    }
    return body;
  }

  private ObjectNode members() {
    CurrentClusterState state = cluster.state();
    ObjectNode body = EntityJson.MAPPER.createObjectNode();
    body.put("self", cluster.selfMember().address().toString());
    if (state.getLeader() != null) {
      body.put("leader", state.getLeader().toString());
    } else {
      body.putNull("leader");
    }
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
    if (oldest != null) {
      body.put("oldest", oldest.address().toString());
    } else {
      body.putNull("oldest");
    }
    ArrayNode members = body.putArray("members");
    for (Member member : state.getMembers()) {
      members.add(member(member, !state.getUnreachable().contains(member)));
    }
    // A member that is unreachable and already removed is no longer in getMembers(); list the
    // unreachable ones that are missing so an operator sees them until they are gone for good.
    for (Member member : state.getUnreachable()) {
      boolean listed = false;
      for (Member m : state.getMembers()) {
        listed |= m.uniqueAddress().equals(member.uniqueAddress());
      }
      if (!listed) {
        members.add(member(member, false));
      }
    }
    return body;
  }

  private static ObjectNode member(Member member, boolean reachable) {
    ObjectNode node = EntityJson.MAPPER.createObjectNode();
    node.put("address", member.address().toString());
    node.put("status", member.status().toString());
    ArrayNode roles = node.putArray("roles");
    member.getRoles().stream().filter(role -> !role.startsWith("dc-")).sorted().forEach(roles::add);
    node.put("reachable", reachable);
    node.put("dataCenter", member.dataCenter());
    return node;
  }

  private CompletionStage<HttpResponse> shards() {
    return placement
        .apply(settings.shardStatsTimeout())
        .thenApply(
            byType -> {
              ObjectNode body = EntityJson.MAPPER.createObjectNode();
              byType.forEach(
                  (type, placements) -> {
                    ObjectNode nodes = body.putObject(type);
                    for (ShardPlacement placement : placements) {
                      ObjectNode node = nodes.putObject(placement.node());
                      node.put("shardCount", placement.entitiesPerShard().size());
                      node.put("entityCount", placement.entityCount());
                      ObjectNode shards = node.putObject("shards");
                      placement.entitiesPerShard().forEach(shards::put);
                      ArrayNode failed = node.putArray("failedShards");
                      placement.failedShards().stream().sorted().forEach(failed::add);
                    }
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
}
