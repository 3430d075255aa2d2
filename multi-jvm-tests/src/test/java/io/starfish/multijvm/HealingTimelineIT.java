package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * A forked node hosting accounts is killed (SIGKILL); each survivor's healing timeline (GET
 * /api/v1/cluster/events) shows the failure's steps in order, with durations that match what the
 * test itself observed, and the survivors' entity counts add up to the accounts that moved.
 */
@ExtendWith(TestCassandra.class)
class HealingTimelineIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  // detection (~2 s) + stable-after in the 60 s warm-up after the cluster formed (10 s) + removal
  // + recovery: about 14 s idle; generous for a loaded CI machine
  private static final Duration HEALING_DEADLINE = Duration.ofSeconds(90);
  private static final Pattern RECOVERED_COUNT = Pattern.compile("^(\\d+) of its entities");

  private ForkedCluster cluster;

  @RegisterExtension
  final TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  @AfterEach
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
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

  private static Optional<JsonNode> first(List<JsonNode> steps, String kind) {
    return steps.stream().filter(step -> kind.equals(step.path("kind").asText())).findFirst();
  }

  private static int recoveredCount(JsonNode step) {
    Matcher m = RECOVERED_COUNT.matcher(step.path("detail").asText());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  @Test
  void theTimelineOfAKilledNodeShowsEachStepInOrderWithPlausibleDurations() throws Exception {
    cluster = new ForkedCluster("timeline", 3, Map.of(), 256);
    cluster.start(START_TIMEOUT);
    Node victim = cluster.node(3);
    List<Node> survivors = List.of(cluster.node(1), cluster.node(2));

    List<String> accounts = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String id = "timeline-" + i;
      HttpResponse<String> response =
          cluster.postUntilNot503(
              cluster.node(1 + i % 3),
              "/api/v1/entities/account/" + id,
              "{\"type\":\"deposit\",\"amount\":1}",
              "timeline-" + i);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      accounts.add(id);
    }
    Map<String, String> homes = cluster.shardHomes(cluster.node(1), "account");
    long onVictim =
        accounts.stream()
            .filter(id -> victim.address().equals(homes.get(ForkedCluster.shardOf(id))))
            .count();
    assertThat(onVictim).as("accounts hosted by %s (shard homes %s)", victim, homes).isPositive();

    long killedAt = System.currentTimeMillis();
    cluster.kill(victim);

    // Every survivor sees unreachable, downed, removed; those that took shards also see the
    // shards and their entities arrive. Wait until each survivor that took shards has seen their
    // entities recovered, and the moved accounts are all accounted for (the counts may be larger:
    // the moved shards also hold entities that earlier tests in this Cassandra left remembered).
    Map<Node, List<JsonNode>> timelines = new LinkedHashMap<>();
    ForkedCluster.await(
        "both survivors' timelines to show the victim removed and its "
            + onVictim
            + " accounts recovered",
        HEALING_DEADLINE,
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
            recovered += done.map(step -> recoveredCount(step)).orElse(0);
          }
          return settled && recovered >= onVictim;
        },
        () -> " (timelines: " + timelines + ")");

    int observersWithShards = 0;
    for (Node survivor : survivors) {
      List<JsonNode> steps = timelines.get(survivor);
      String context = survivor + "'s timeline " + steps;
      JsonNode unreachable =
          first(steps, "member-unreachable")
              .orElseThrow(() -> new AssertionError("no member-unreachable in " + context));
      JsonNode downed =
          first(steps, "member-downed")
              .orElseThrow(() -> new AssertionError("no member-downed in " + context));
      JsonNode removed =
          first(steps, "member-removed")
              .orElseThrow(() -> new AssertionError("no member-removed in " + context));

      long unreachableAt = unreachable.path("at").asLong();
      long downedAt = downed.path("at").asLong();
      assertThat(unreachable.path("time").asText())
          .isEqualTo(Instant.ofEpochMilli(unreachableAt).toString());
      // the failure detector needs missed heartbeats: not before the kill, within seconds of it
      assertThat(unreachableAt - killedAt).as(context).isBetween(0L, 30_000L);
      assertThat(downedAt).as(context).isGreaterThanOrEqualTo(unreachableAt);
      assertThat(removed.path("at").asLong()).as(context).isGreaterThanOrEqualTo(downedAt);
      assertThat(downed.path("detail").asText()).as(context).contains("keep-majority");
      // unreachable -> downed is the resolver's stable-after (10 s during the warm-up window)
      assertThat(downed.path("durationFrom").asText()).isEqualTo("member-unreachable");
      assertThat(downed.path("durationMs").asLong())
          .as(context)
          .isEqualTo(downedAt - unreachableAt)
          .isBetween(5_000L, 60_000L);

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
      HttpResponse<String> metrics = cluster.get(survivor, "/metrics", Duration.ofSeconds(10));
      assertThat(metrics.body())
          .contains("starfish_healing_unreachable_to_downed_seconds_count 1")
          .contains("starfish_healing_downed_to_recovered_seconds_count 1");
    }
    assertThat(observersWithShards).as("survivors that took the victim's shards").isPositive();
  }
}
