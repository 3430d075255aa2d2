package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.testing.EventStreamClient;
import io.starfish.http.testing.EventStreamClient.Message;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Three real node JVMs; the oldest one (leader, and host of the shard coordinator) hosts some
 * accounts and reservations and is killed with SIGKILL. One crash, four claims (the healing
 * timeline counted as the first), checked in this order:
 *
 * <ol>
 *   <li>healing timeline: each survivor's GET /api/v1/cluster/events shows the failure's steps in
 *       order, with durations that match what the test observed ({@link HealingTimelineChecks});
 *   <li>failover: the victim's entities are restarted on the survivors by remember-entities (before
 *       anyone asks for them) and answer with every acknowledged deposit;
 *   <li>idempotency across the crash: commands acknowledged through the victim, retried with the
 *       same keys through a survivor, apply once and get the original answer, also for entities
 *       that lived on the victim (the key records are in their journals, not in a node's memory),
 *       and an account deleted through one survivor is gone (410) through the other;
 *   <li>event streams across the crash: a client following an account's events through the victim
 *       (Server-Sent Events) loses its connection with the node, reconnects to a survivor with
 *       Last-Event-ID, and has then received every event of the account's journal exactly once, in
 *       order;
 *   <li>durable timers across the crash: reservations held before it, some on the victim, expire by
 *       themselves once their time comes after the crash, each with exactly one "expired" event.
 * </ol>
 *
 * (Three tests used to start a cluster each for one crash each; one saves two cluster starts.)
 */
@ExtendWith(TestCassandra.class)
class ClusterFailoverIT {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  // Detection (heartbeat-interval + acceptable-heartbeat-pause, about 2 s) + stable-after (10 s
  // within the resolver's 60 s warm-up window after the cluster formed, 0.5 s after it) + removal
  // and down-removal-margin (under 1 s) + recovery: about 14 s on an idle machine. The deadline
  // allows for a loaded CI box; the benchmark, not this test, measures the time.
  private static final Duration FAILOVER_DEADLINE = Duration.ofSeconds(90);
  private static final Duration RETRY_DEADLINE = Duration.ofSeconds(60);

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

  @Test
  void aKilledNodesEntitiesHealOnSurvivorsWithEveryAcknowledgedEventAndEveryKeyApplyingOnce()
      throws Exception {
    cluster = new ForkedCluster("failover", 3, Map.of(), 256);
    cluster.start(START_TIMEOUT);
    long formedAt = System.currentTimeMillis();
    List<Node> nodes = cluster.nodes();
    Node victim = cluster.node(1);
    Node survivor = cluster.node(2);
    List<Node> survivors = List.of(cluster.node(2), cluster.node(3));

    // Acknowledged deposits, through every node.
    Map<String, Long> balances = new LinkedHashMap<>();
    Map<String, Long> versions = new HashMap<>();
    Random random = new Random(42);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 30; i++) {
        String id = "failover-" + i;
        long amount = 1 + random.nextInt(100);
        Node via = nodes.get((i + round) % 3);
        HttpResponse<String> response =
            keyedDeposit(via, id, amount, "failover-" + round + "-" + i);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        balances.merge(id, amount, Long::sum);
        versions.merge(id, 1L, Long::sum);
      }
    }
    // Keyed deposits through the victim, with their answers.
    Map<String, JsonNode> originals = new LinkedHashMap<>();
    for (int i = 0; i < 24; i++) {
      String id = "idem-" + i;
      HttpResponse<String> response = keyedDeposit(victim, id, amountOf(id), "deposit-" + id);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      originals.put(id, EntityJson.MAPPER.readTree(response.body()));
    }
    // The same key sent again to the same node: the original answer, nothing applied.
    HttpResponse<String> again =
        cluster.post(victim, path("idem-0"), deposit(10), "deposit-idem-0", Duration.ofSeconds(10));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(EntityJson.MAPPER.readTree(again.body())).isEqualTo(originals.get("idem-0"));

    // Which accounts live on the victim, by the cluster's own shard view.
    Map<String, String> homes = cluster.shardHomes(survivor, "account");
    List<String> onVictim =
        java.util.stream.Stream.concat(balances.keySet().stream(), originals.keySet().stream())
            .filter(id -> victim.address().equals(homes.get(ForkedCluster.shardOf(id))))
            .toList();
    assertThat(onVictim.stream().filter(id -> id.startsWith("failover-")))
        .as("failover accounts hosted by %s (shard homes %s)", victim, homes)
        .isNotEmpty();
    assertThat(onVictim.stream().filter(id -> id.startsWith("idem-")))
        .as("keyed accounts hosted by %s (shard homes %s)", victim, homes)
        .isNotEmpty();

    // A client follows an account's events through the victim; events written while it listens
    // reach it without a new request.
    String streamed = "streamed-1";
    for (int i = 1; i <= 3; i++) {
      assertThat(keyedDeposit(survivor, streamed, i, "streamed-" + i).statusCode()).isEqualTo(200);
    }
    EventStreamClient beforeCrash =
        EventStreamClient.open(streamUri(victim, streamed), Optional.empty());
    assertThat(beforeCrash.status()).isEqualTo(200);
    for (int i = 4; i <= 5; i++) {
      assertThat(keyedDeposit(survivor, streamed, i, "streamed-" + i).statusCode()).isEqualTo(200);
    }
    ForkedCluster.await(
        "the five deposits streamed through " + victim,
        RETRY_DEADLINE,
        () -> beforeCrash.received().size() >= 5);

    // Holds whose expiry timers fall due after the crash; some live on the victim.
    List<String> holds = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      String id = "hold-" + i;
      HttpResponse<String> held =
          cluster.postUntilNot503(
              nodes.get(i % 3),
              "/api/v1/entities/reservation/" + id,
              "{\"type\":\"hold\",\"seats\":1,\"expiresInSeconds\":12}",
              "hold-" + i);
      assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
      holds.add(id);
    }
    Map<String, String> reservationHomes = cluster.shardHomes(survivor, "reservation");
    assertThat(holds)
        .as("holds on %s (shard homes %s)", victim, reservationHomes)
        .anyMatch(id -> victim.address().equals(reservationHomes.get(ForkedCluster.shardOf(id))));

    long killedAt = System.currentTimeMillis();
    cluster.killNode(victim);

    // 1. The healing timeline of each survivor.
    new HealingTimelineChecks(cluster, victim, survivors)
        .awaitAndCheck(onVictim.size(), killedAt, killedAt - formedAt, FAILOVER_DEADLINE);

    // 2. remember-entities: the victim's shards came back on survivors with their entities
    // started, before any request for them.
    ForkedCluster.await(
        "the victim's shards restarted on survivors with their entities",
        FAILOVER_DEADLINE,
        () -> {
          Map<String, String> now = cluster.shardHomes(survivor, "account");
          return onVictim.stream()
              .map(ForkedCluster::shardOf)
              .allMatch(
                  shard -> now.containsKey(shard) && !victim.address().equals(now.get(shard)));
        });
    JsonNode shards = cluster.getJson(survivor, "/api/v1/cluster/shards").orElseThrow();
    for (String id : onVictim) {
      String shard = ForkedCluster.shardOf(id);
      String home = cluster.shardHomes(survivor, "account").get(shard);
      assertThat(shards.path("account").path(home).path("shards").path(shard).asInt())
          .as("entities started in shard %s on %s", shard, home)
          .isPositive();
    }
    for (String id : balances.keySet()) {
      for (Node node : survivors) {
        HttpResponse<String> response = cluster.get(node, path(id), Duration.ofSeconds(10));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = EntityJson.MAPPER.readTree(response.body());
        assertThat(body.get("state").get("balance").asLong())
            .as("balance of %s through %s", id, node)
            .isEqualTo(balances.get(id));
        assertThat(body.get("version").asLong()).isEqualTo(versions.get(id));
      }
    }
    // The two survivors agree that the victim is gone.
    ForkedCluster.await(
        "survivors see exactly each other",
        FAILOVER_DEADLINE,
        () ->
            cluster.upMembers(cluster.node(2)).size() == 2
                && cluster.upMembers(cluster.node(3)).size() == 2
                && !cluster.upMembers(cluster.node(3)).contains(victim.address()));

    // 3. The keyed deposits retried through a survivor: replayed, not applied again.
    Node retryVia = cluster.node(3);
    for (String id : originals.keySet()) {
      HttpResponse<String> retry = keyedDeposit(retryVia, id, amountOf(id), "deposit-" + id);
      assertThat(retry.statusCode()).as("retry of %s: %s", id, retry.body()).isEqualTo(200);
      assertThat(retry.headers().firstValue("Idempotent-Replayed"))
          .as("retry of %s", id)
          .hasValue("true");
      assertThat(EntityJson.MAPPER.readTree(retry.body())).as(id).isEqualTo(originals.get(id));
      JsonNode state =
          EntityJson.MAPPER.readTree(
              cluster.get(retryVia, path(id), Duration.ofSeconds(10)).body());
      assertThat(state.get("version").asLong()).as("events of %s", id).isEqualTo(1);
      assertThat(state.get("state").get("balance").asLong())
          .as("balance of %s (hosted by the killed node: %s)", id, onVictim.contains(id))
          .isEqualTo(amountOf(id));
    }
    // A new key is a new command.
    HttpResponse<String> fresh =
        cluster.post(
            retryVia, path("idem-0"), deposit(10), "deposit-idem-0-b", Duration.ofSeconds(10));
    assertThat(fresh.statusCode()).isEqualTo(200);
    assertThat(EntityJson.MAPPER.readTree(fresh.body()).get("version").asLong()).isEqualTo(2);

    // A deletion through one survivor holds through the other (one entity, wherever it lives).
    HttpResponse<String> deleted =
        cluster.delete(survivor, path("failover-0"), Duration.ofSeconds(10));
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
    assertThat(cluster.get(retryVia, path("failover-0"), Duration.ofSeconds(10)).statusCode())
        .isEqualTo(410);
    assertThat(
            cluster
                .post(
                    retryVia,
                    path("failover-0"),
                    deposit(1),
                    "after-delete",
                    Duration.ofSeconds(10))
                .statusCode())
        .isEqualTo(410);

    // 4. The event stream: cut with its node, resumed on a survivor after the last id received.
    ForkedCluster.await(
        "the stream through the killed node ended", RETRY_DEADLINE, beforeCrash::ended);
    beforeCrash.close();
    List<Message> received = new ArrayList<>(beforeCrash.received());
    for (int i = 6; i <= 8; i++) {
      assertThat(keyedDeposit(retryVia, streamed, i, "streamed-" + i).statusCode()).isEqualTo(200);
    }
    String lastId = received.get(received.size() - 1).id();
    List<String> journal = new ArrayList<>();
    try (EventStreamClient resumed =
        EventStreamClient.open(streamUri(survivor, streamed), Optional.of(lastId))) {
      assertThat(resumed.status()).isEqualTo(200);
      for (int i = 9; i <= 10; i++) {
        assertThat(keyedDeposit(retryVia, streamed, i, "streamed-" + i).statusCode())
            .isEqualTo(200);
      }
      // The journal, as the history API reads it: the oracle of what the stream must carry.
      cluster
          .getJson(survivor, path(streamed) + "/events?limit=1000")
          .orElseThrow()
          .get("events")
          .forEach(event -> journal.add(event.toString()));
      assertThat(journal)
          .as("the ten acknowledged deposits in the journal of " + streamed)
          .extracting(event -> EntityJson.MAPPER.readTree(event).at("/event/amount").asLong())
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
      ForkedCluster.await(
          "every event of the journal streamed once",
          RETRY_DEADLINE,
          () -> received.size() + resumed.received().size() >= journal.size());
      received.addAll(resumed.received());
    }
    List<String> streamedEvents = new ArrayList<>();
    for (Message message : received) {
      JsonNode data = EntityJson.MAPPER.readTree(message.data());
      assertThat(message.id()).isEqualTo(data.get("seqNr").asText());
      streamedEvents.add(data.toString());
    }
    assertThat(streamedEvents).as("events streamed before and after the crash").isEqualTo(journal);

    // 4. Every hold expired by itself, also those of the killed node (their timers' rows were read
    //    by sweepers on the survivors), each exactly once.
    for (String id : holds) {
      String reservation = "/api/v1/entities/reservation/" + id;
      ForkedCluster.await(
          id + " expired",
          Duration.ofSeconds(90),
          () ->
              cluster
                  .getJson(survivor, reservation)
                  .map(r -> r.at("/state/status").asText().equals("expired"))
                  .orElse(false));
      List<String> types = new ArrayList<>();
      cluster
          .getJson(survivor, reservation + "/events")
          .orElseThrow()
          .get("events")
          .forEach(event -> types.add(event.get("type").asText()));
      assertThat(types).as("events of " + id).containsExactly("held", "expired");
    }
  }

  private static URI streamUri(Node node, String id) {
    return URI.create("http://127.0.0.1:" + node.httpPort + path(id) + "/events/stream");
  }

  /**
   * A keyed deposit, sent until the entity answers: it may be starting on a just-formed cluster or
   * moving to a survivor (503, or no answer), and a client retries with the same key, which is
   * safe: an attempt that was applied makes the retry get its outcome.
   */
  private HttpResponse<String> keyedDeposit(Node via, String id, long amount, String key) {
    AtomicReference<HttpResponse<String>> answer = new AtomicReference<>();
    ForkedCluster.await(
        "an answer to deposit " + key + " through " + via,
        RETRY_DEADLINE,
        () -> {
          try {
            HttpResponse<String> response =
                cluster.post(via, path(id), deposit(amount), key, Duration.ofSeconds(5));
            if (response.statusCode() == 503) {
              return false;
            }
            answer.set(response);
            return true;
          } catch (IOException e) {
            return false;
          }
        });
    return answer.get();
  }

  private static long amountOf(String idemId) {
    return 10 + Integer.parseInt(idemId.substring("idem-".length()));
  }

  private static String path(String id) {
    return "/api/v1/entities/account/" + id;
  }

  private static String deposit(long amount) {
    return "{\"type\":\"deposit\",\"amount\":" + amount + "}";
  }
}
