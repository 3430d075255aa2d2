package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the survivors' healing timelines (GET /api/v1/cluster/events) must show after a node was
 * killed: unreachable, downed, removed in order, and on the survivors that took its shards the
 * shards and their entities arriving, with durations that match what the test observed and the same
 * durations in the metrics.
 */
final class HealingTimelineChecks {

  private static final Pattern RECOVERED_COUNT = Pattern.compile("^(\\d+) of its entities");
  // After the split-brain resolver's 60 s warm-up (starfish.cluster.warm-up-period) its
  // stable-after is 0.5 s, within it 10 s (warm-up-stable-after).
  private static final long WARM_UP_MS = 60_000;

  private final ForkedCluster cluster;
  private final Node victim;
  private final List<Node> survivors;

  HealingTimelineChecks(ForkedCluster cluster, Node victim, List<Node> survivors) {
    this.cluster = cluster;
    this.victim = victim;
    this.survivors = survivors;
  }

  /**
   * Waits until both survivors show the victim removed and at least {@code entitiesOnVictim}
   * entities recovered (more is fine: moved shards also hold entities that earlier tests in this
   * Cassandra left remembered), then checks each step.
   *
   * @param killedAt when the test killed the victim (epoch ms)
   * @param clusterAgeAtKill how long the cluster had been formed when the victim was killed
   */
  void awaitAndCheck(
      long entitiesOnVictim, long killedAt, long clusterAgeAtKill, Duration deadline) {
    Map<Node, List<JsonNode>> timelines = new LinkedHashMap<>();
    ForkedCluster.await(
        "both survivors' timelines to show the victim removed and its "
            + entitiesOnVictim
            + " entities recovered",
        deadline,
        () -> {
          int recovered = 0;
          boolean settled = true;
          for (Node survivor : survivors) {
            List<JsonNode> steps = stepsAbout(survivor, victim.address());
            timelines.put(survivor, steps);
            settled &= first(steps, "member-removed").isPresent();
            boolean tookShards = first(steps, "shards-reallocated").isPresent();
            Optional<JsonNode> done = first(steps, "entities-recovered");
            settled &= !tookShards || done.isPresent();
            recovered += done.map(HealingTimelineChecks::recoveredCount).orElse(0);
          }
          return settled && recovered >= entitiesOnVictim;
        },
        () -> " (timelines: " + timelines + ")");

    int observersWithShards = 0;
    for (Node survivor : survivors) {
      List<JsonNode> steps = timelines.get(survivor);
      String context = survivor + "'s timeline " + steps;
      JsonNode downed = required(steps, "member-downed", context);
      long downedAt = downed.path("at").asLong();
      // the unreachability the resolver acted on: the last one before the downing (a loaded
      // machine can show a brief unreachable-reachable blip earlier)
      JsonNode unreachable =
          steps.stream()
              .filter(step -> "member-unreachable".equals(step.path("kind").asText()))
              .filter(step -> step.path("at").asLong() <= downedAt)
              .reduce((earlier, later) -> later)
              .orElseThrow(() -> new AssertionError("no member-unreachable in " + context));
      JsonNode removed = required(steps, "member-removed", context);
      long unreachableAt = unreachable.path("at").asLong();

      // Within the warm-up (60 s after the last member came Up, as this survivor saw it) the
      // resolver waits 10 s; well after it 0.5 s; near its end either. The test's own start time
      // is only the fallback: a node can come Up well before its start() returns.
      long warmUpAge =
          lastMemberUpAt(survivor).map(up -> unreachableAt - up).orElse(clusterAgeAtKill);
      long minimumStableAfter = warmUpAge < WARM_UP_MS - 10_000 ? 5_000 : 400;
      System.out.printf(
          "[healing-timeline] %s: last member Up %d ms before the unreachability; unreachable to"
              + " downed %d ms (at least %d expected)%n",
          survivor, warmUpAge, downedAt - unreachableAt, minimumStableAfter);
      assertThat(unreachable.path("time").asText())
          .isEqualTo(Instant.ofEpochMilli(unreachableAt).toString());
      // the failure detector needs missed heartbeats: not before the kill, within seconds of it
      assertThat(unreachableAt - killedAt).as(context).isBetween(0L, 30_000L);
      assertThat(downedAt).as(context).isGreaterThanOrEqualTo(unreachableAt);
      assertThat(removed.path("at").asLong()).as(context).isGreaterThanOrEqualTo(downedAt);
      assertThat(downed.path("detail").asText()).as(context).contains("keep-majority");
      // unreachable -> downed is the resolver's stable-after
      assertThat(downed.path("durationFrom").asText()).isEqualTo("member-unreachable");
      assertThat(downed.path("durationMs").asLong())
          .as(
              context
                  + " (last member Up %d ms before the unreachability; test start %d ms before"
                  + " the kill)",
              warmUpAge,
              clusterAgeAtKill)
          .isEqualTo(downedAt - unreachableAt)
          .isBetween(minimumStableAfter, 60_000L);

      Optional<JsonNode> reallocated = first(steps, "shards-reallocated");
      Optional<JsonNode> recovered = first(steps, "entities-recovered");
      if (reallocated.isEmpty()) {
        assertThat(recovered).as("entities recovered without shards: " + context).isEmpty();
        continue;
      }
      observersWithShards++;
      assertThat(recovered).as("entities of the moved shards recovered: " + context).isPresent();
      long reallocatedAt = reallocated.get().path("at").asLong();
      long recoveredAt = recovered.get().path("at").asLong();
      assertThat(reallocatedAt).as(context).isGreaterThanOrEqualTo(downedAt);
      assertThat(recoveredAt).as(context).isGreaterThanOrEqualTo(reallocatedAt);
      assertThat(recovered.get().path("durationFrom").asText()).isEqualTo("member-downed");
      assertThat(recovered.get().path("durationMs").asLong())
          .as(context)
          .isEqualTo(recoveredAt - downedAt)
          .isBetween(0L, 60_000L);
      // the order of the steps in the answer is the order in which they happened (the removal is
      // left out: the coordinator may reallocate before this node has processed the removal)
      List<String> kinds =
          steps.stream()
              .map(step -> step.path("kind").asText())
              .filter(kind -> !kind.equals("member-up"))
              .toList();
      assertThat(kinds)
          .as(context)
          .containsSubsequence(
              "member-unreachable", "member-downed", "shards-reallocated", "entities-recovered");

      // the durations are metrics too
      HttpResponse<String> metrics;
      try {
        metrics = cluster.get(survivor, "/metrics", Duration.ofSeconds(10));
      } catch (java.io.IOException e) {
        throw new AssertionError("no /metrics from " + survivor, e);
      }
      assertThat(metrics.body())
          .contains("starfish_healing_unreachable_to_downed_seconds_count 1")
          .contains("starfish_healing_downed_to_recovered_seconds_count 1");
    }
    assertThat(observersWithShards).as("survivors that took the victim's shards").isPositive();
  }

  private List<JsonNode> stepsAbout(Node observer, String member) {
    List<JsonNode> steps = new ArrayList<>();
    cluster
        .getJson(observer, "/api/v1/cluster/events")
        .ifPresent(
            body ->
                body.path("events")
                    .forEach(
                        event -> {
                          if (member.equals(event.path("member").asText())) {
                            steps.add(event);
                          }
                        }));
    return steps;
  }

  /** When {@code observer} last saw any member come Up (epoch ms), if its timeline still has it. */
  private Optional<Long> lastMemberUpAt(Node observer) {
    List<Long> ups = new ArrayList<>();
    cluster
        .getJson(observer, "/api/v1/cluster/events")
        .ifPresent(
            body ->
                body.path("events")
                    .forEach(
                        event -> {
                          if ("member-up".equals(event.path("kind").asText())) {
                            ups.add(event.path("at").asLong());
                          }
                        }));
    return ups.stream().max(Long::compare);
  }

  private static JsonNode required(List<JsonNode> steps, String kind, String context) {
    return first(steps, kind)
        .orElseThrow(() -> new AssertionError("no " + kind + " in " + context));
  }

  private static Optional<JsonNode> first(List<JsonNode> steps, String kind) {
    return steps.stream().filter(step -> kind.equals(step.path("kind").asText())).findFirst();
  }

  private static int recoveredCount(JsonNode step) {
    Matcher m = RECOVERED_COUNT.matcher(step.path("detail").asText());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }
}
