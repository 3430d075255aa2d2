package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.sharding.EntityJson;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cassandra stops while a node serves writes, and comes back. Callers get 503 with Retry-After
 * (never a hang), readiness names the journal as down, writes succeed again once Cassandra is back
 * without restarting the node, and every write acknowledged before, during or after the outage is
 * in the final balances. Every deposit has its own idempotency key; after the outage those without
 * a 200 are sent again with it, and each balance must then be exactly the number of keys sent (no
 * lost, phantom or doubled deposit). Prints the measured times.
 */
@ExtendWith(TestCassandra.class)
class JournalOutageIT {

  private static final int ACCOUNTS = 4;

  /** starfish.http.ask-timeout (reference.conf): the bound on any single request. */
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  record Outcome(String account, int status, long startedNanos, long tookMillis) {}

  @Test
  void writesGet503DuringACassandraOutageAndNothingAcknowledgedIsLost() throws Exception {
    Map<String, AtomicLong> acknowledged = new ConcurrentHashMap<>();
    // Every deposit carries its own idempotency key; those without a 200 are sent again with it
    // after the outage, so that each key ends applied exactly once and the balances are exact.
    Map<String, AtomicLong> sent = new ConcurrentHashMap<>();
    Queue<String[]> unsettled = new ConcurrentLinkedQueue<>();
    List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    AtomicBoolean loadRunning = new AtomicBoolean(true);
    // The claim is exactly once within the idempotency window: each account takes ~250 keyed
    // deposits here, and a deposit applied during the outage is retried with its key only at the
    // end, so every key must still be remembered then (128 by default: with more deposits the
    // retry of a forgotten key was applied again, once, in a CI run).
    try (TestNode node =
        TestNode.start("starfish.persistence.idempotency.max-keys-per-entity = 100000")) {
      for (int i = 0; i < ACCOUNTS; i++) {
        acknowledged.put("outage-" + i, new AtomicLong());
        sent.put("outage-" + i, new AtomicLong());
      }
      List<Thread> writers = new ArrayList<>();
      for (int i = 0; i < ACCOUNTS; i++) {
        String account = "outage-" + i;
        Thread writer =
            new Thread(
                () -> {
                  while (loadRunning.get()) {
                    String key = account + "-" + sent.get(account).incrementAndGet();
                    long started = System.nanoTime();
                    int status = deposit(node, account, key);
                    long took = (System.nanoTime() - started) / 1_000_000;
                    outcomes.add(new Outcome(account, status, started, took));
                    if (status == 200) {
                      acknowledged.get(account).incrementAndGet();
                    } else {
                      unsettled.add(new String[] {account, key});
                      // A client backing off after a refusal, as Retry-After asks; it paces the
                      // load, it does not wait for a condition (those are polled with deadlines).
                      backOff(Duration.ofMillis(100));
                    }
                  }
                },
                "writer-" + i);
        writer.start();
        writers.add(writer);
      }
      Awaitility.await("writes acknowledged before the outage")
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> acknowledged.values().stream().allMatch(n -> n.get() >= 5));

      long stopCalled = System.nanoTime();
      TestCassandra.stop();
      long cassandraDown = System.nanoTime();

      Awaitility.await("readiness names the journal as down")
          .atMost(15, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                HttpResponse<String> ready = node.get("/health/ready");
                return ready.statusCode() == 503 && ready.body().contains("journal");
              });
      long readinessDown = System.nanoTime();
      Awaitility.await("commands refused at once while the journal is down")
          .atMost(15, TimeUnit.SECONDS)
          .until(() -> fastRefusalsSince(outcomes, readinessDown) >= 3);
      String refusedKey = "outage-0-refused";
      sent.get("outage-0").incrementAndGet();
      unsettled.add(new String[] {"outage-0", refusedKey});
      HttpResponse<String> refused = node.send(depositRequest(node, "outage-0", refusedKey));
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
      assertThat(refused.body()).contains("journal");

      long restartCalled = System.nanoTime();
      TestCassandra.instance();
      long cassandraUp = System.nanoTime();
      Awaitility.await("writes succeed again")
          .atMost(60, TimeUnit.SECONDS)
          .until(() -> firstSuccessAfter(outcomes, cassandraUp) > 0);
      long firstWriteAfter = firstSuccessAfter(outcomes, cassandraUp);
      Awaitility.await("every account written again")
          .atMost(60, TimeUnit.SECONDS)
          .until(
              () ->
                  outcomes.stream()
                          .filter(o -> o.status() == 200 && o.startedNanos() > cassandraUp)
                          .map(Outcome::account)
                          .distinct()
                          .count()
                      == ACCOUNTS);
      Awaitility.await("readiness up again")
          .atMost(15, TimeUnit.SECONDS)
          .until(() -> node.get("/health/ready").statusCode() == 200);

      loadRunning.set(false);
      for (Thread writer : writers) {
        writer.join(TimeUnit.SECONDS.toMillis(15));
      }

      // Every request started while Cassandra was down was answered, with a 503, within the
      // ask timeout (plus scheduling slack on a busy machine): none hung.
      List<Outcome> duringOutage =
          outcomes.stream()
              .filter(o -> o.startedNanos() > cassandraDown && o.startedNanos() < restartCalled)
              .toList();
      assertThat(duringOutage).isNotEmpty();
      assertThat(duringOutage).allSatisfy(o -> assertThat(o.status()).isEqualTo(503));
      long slowest = duringOutage.stream().mapToLong(Outcome::tookMillis).max().orElse(0);
      assertThat(slowest).isLessThanOrEqualTo(ASK_TIMEOUT.toMillis() + 2_000);

      // Over the whole outage, from the stop (Cassandra drains for seconds) until the first
      // acknowledged write after it is back: only 200 or 503, and no request hung.
      List<Outcome> wholeOutage =
          outcomes.stream()
              .filter(o -> o.startedNanos() > stopCalled && o.startedNanos() < firstWriteAfter)
              .toList();
      assertThat(wholeOutage).allSatisfy(o -> assertThat(o.status()).isIn(200, 503));
      long slowestOverall = wholeOutage.stream().mapToLong(Outcome::tookMillis).max().orElse(0);
      assertThat(slowestOverall).isLessThanOrEqualTo(ASK_TIMEOUT.toMillis() + 2_000);
      long firstRefusal =
          outcomes.stream()
              .filter(o -> o.status() == 503 && o.startedNanos() > stopCalled)
              .mapToLong(o -> o.startedNanos() + o.tookMillis() * 1_000_000)
              .min()
              .orElseThrow();
      System.out.printf(
          "[journal outage] from the stop of Cassandra: first 503 after %d ms, readiness 503"
              + " after %d ms (Cassandra's own stop took %d ms); %d requests until writes"
              + " succeeded again, %d of them 503, slowest %d ms, median %d ms; Cassandra start"
              + " took %d ms; first acknowledged write %d ms after Cassandra was back%n",
          millis(firstRefusal - stopCalled),
          millis(readinessDown - stopCalled),
          millis(cassandraDown - stopCalled),
          wholeOutage.size(),
          wholeOutage.stream().filter(o -> o.status() == 503).count(),
          slowestOverall,
          wholeOutage.stream()
              .mapToLong(Outcome::tookMillis)
              .sorted()
              .skip(wholeOutage.size() / 2)
              .findFirst()
              .orElse(0),
          millis(cassandraUp - restartCalled),
          millis(firstWriteAfter - cassandraUp));

      // Settle: every deposit without a 200 is sent again with its key until it gets one (a
      // replayed answer if the first attempt was applied after all, a fresh one if not).
      int settled = 0;
      for (String[] op : unsettled) {
        Awaitility.await("deposit " + op[1] + " settled with its key")
            .atMost(30, TimeUnit.SECONDS)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> deposit(node, op[0], op[1]) == 200);
        settled++;
      }
      System.out.printf(
          "[journal outage] %d deposits sent, %d acknowledged, %d settled afterwards by their key%n",
          sent.values().stream().mapToLong(AtomicLong::get).sum(),
          acknowledged.values().stream().mapToLong(AtomicLong::get).sum(),
          settled);

      // Exactly once: each account applied every key it was sent once, no more (no phantom or
      // doubled write), no less (no lost acknowledged write).
      for (int i = 0; i < ACCOUNTS; i++) {
        String account = "outage-" + i;
        JsonNode state =
            EntityJson.MAPPER.readTree(node.get("/api/v1/entities/account/" + account).body());
        assertThat(state.path("state").path("balance").asLong())
            .as(account + " balance vs deposits sent, each with its own key")
            .isEqualTo(sent.get(account).get());
        assertThat(state.path("version").asLong()).isEqualTo(sent.get(account).get());
      }
    } finally {
      loadRunning.set(false);
      TestCassandra.instance();
    }
  }

  private static HttpRequest depositRequest(TestNode node, String account, String key) {
    return HttpRequest.newBuilder(node.uri("/api/v1/entities/account/" + account))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"deposit\",\"amount\":1}"))
        .build();
  }

  /** One keyed deposit of 1; its status, or -1 when it got no answer. */
  private static int deposit(TestNode node, String account, String key) {
    try {
      return node.send(depositRequest(node, account, key)).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private static long fastRefusalsSince(List<Outcome> outcomes, long since) {
    return outcomes.stream()
        .filter(o -> o.startedNanos() > since && o.status() == 503 && o.tookMillis() < 1000)
        .count();
  }

  private static long firstSuccessAfter(List<Outcome> outcomes, long since) {
    return outcomes.stream()
        .filter(o -> o.status() == 200 && o.startedNanos() > since)
        .mapToLong(o -> o.startedNanos() + o.tookMillis() * 1_000_000)
        .min()
        .orElse(0);
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  private static void backOff(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
