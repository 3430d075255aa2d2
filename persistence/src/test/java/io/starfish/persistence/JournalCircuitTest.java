package io.starfish.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.typesafe.config.ConfigFactory;
import io.starfish.supervision.FailureStatistics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The journal circuit: one failed entity write opens it only if a probe confirms the outage, two
 * failed readiness probes in a row open it, and an open circuit closes once a probe answers again.
 */
class JournalCircuitTest {

  private static final Duration PROBE_INTERVAL = Duration.ofMillis(50);

  private final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString(
                  "starfish.persistence.circuit.probe-interval = "
                      + PROBE_INTERVAL.toMillis()
                      + "ms")
              .withFallback(ConfigFactory.load()));

  /** What the next probe answers; counts the probes. */
  private final AtomicReference<Supplier<CompletionStage<Optional<String>>>> answer =
      new AtomicReference<>(JournalCircuitTest::reachable);

  private final AtomicInteger probes = new AtomicInteger();

  private final JournalCircuit circuit =
      new JournalCircuit(
          testKit.system(),
          () -> {
            probes.incrementAndGet();
            return answer.get().get();
          });

  @AfterEach
  void shutDown() {
    testKit.shutdownTestKit();
  }

  private static CompletionStage<Optional<String>> reachable() {
    return CompletableFuture.completedFuture(Optional.empty());
  }

  private static CompletionStage<Optional<String>> down() {
    return CompletableFuture.completedFuture(Optional.of("cassandra down"));
  }

  private Optional<String> check() {
    return circuit.check().toCompletableFuture().join();
  }

  private boolean listedAsOpenBreaker() {
    return FailureStatistics.get(testKit.system()).openBreakers().contains(JournalCircuit.BREAKER);
  }

  @Test
  void aFailedWriteWhileCassandraAnswersLeavesItClosed() {
    circuit.recordFailure(new RuntimeException("write timed out"));

    assertThat(probes).hasValue(1);
    assertThat(circuit.isOpen()).isFalse();
    assertThat(circuit.openReason()).isEmpty();
    assertThat(listedAsOpenBreaker()).isFalse();
  }

  @Test
  void aFailedWriteConfirmedByTheProbeOpensIt() {
    answer.set(JournalCircuitTest::down);

    circuit.recordFailure(new RuntimeException("write timed out"));

    assertThat(circuit.isOpen()).isTrue();
    assertThat(circuit.openReason())
        .hasValueSatisfying(
            reason -> assertThat(reason).contains("cassandra down").contains("write timed out"));
    assertThat(listedAsOpenBreaker()).isTrue();
  }

  @Test
  void aProbeThatThrowsOrFailsCountsAsUnreachable() {
    answer.set(
        () -> {
          throw new IllegalStateException("no session");
        });
    circuit.recordFailure(new RuntimeException("write failed"));
    assertThat(circuit.openReason())
        .hasValueSatisfying(reason -> assertThat(reason).contains("journal probe failed"));

    JournalCircuit other =
        new JournalCircuit(
            testKit.system(),
            () -> CompletableFuture.failedFuture(new IllegalStateException("no host")));
    assertThat(other.check().toCompletableFuture().join())
        .hasValueSatisfying(reason -> assertThat(reason).contains("no host"));
  }

  @Test
  void onlyOneProbeRunsForFailuresThatArriveTogether() {
    CompletableFuture<Optional<String>> pending = new CompletableFuture<>();
    answer.set(() -> pending);

    circuit.recordFailure(new RuntimeException("first"));
    circuit.recordFailure(new RuntimeException("second"));
    assertThat(probes).hasValue(1);

    pending.complete(Optional.of("cassandra down"));
    assertThat(circuit.isOpen()).isTrue();
  }

  @Test
  void twoFailedReadinessProbesInARowOpenIt() {
    answer.set(JournalCircuitTest::down);

    assertThat(check()).contains("cassandra down");
    assertThat(circuit.isOpen()).isFalse();
    assertThat(check()).contains("cassandra down");
    assertThat(circuit.isOpen()).isTrue();
    assertThat(listedAsOpenBreaker()).isTrue();
  }

  @Test
  void aSuccessfulReadinessProbeInBetweenStartsTheCountAgain() {
    answer.set(JournalCircuitTest::down);
    check();
    answer.set(JournalCircuitTest::reachable);
    assertThat(check()).isEmpty();
    answer.set(JournalCircuitTest::down);
    check();

    assertThat(circuit.isOpen()).isFalse();
  }

  @Test
  void whileOpenReadinessReportsTheReasonAndFailuresDoNotProbeAgain() throws Exception {
    // the probe that opens the circuit answers "down"; the background probe scheduled once it is
    // open never answers, so it schedules no further probe (set before, not after, the opening:
    // a slow test thread could otherwise let the background probe answer "down" too)
    answer.set(() -> circuit.isOpen() ? new CompletableFuture<>() : down());
    circuit.recordFailure(new RuntimeException("write failed"));
    int probesAtOpen = probes.get();
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> probes.get() == probesAtOpen + 1);

    circuit.recordFailure(new RuntimeException("another write failed"));
    Optional<String> readiness = circuit.check().toCompletableFuture().get(1, TimeUnit.SECONDS);

    assertThat(readiness)
        .hasValueSatisfying(reason -> assertThat(reason).contains("cassandra down"));
    assertThat(probes).hasValue(probesAtOpen + 1);
  }

  @Test
  void anOpenCircuitKeepsProbingAndClosesWhenCassandraAnswersAgain() {
    answer.set(JournalCircuitTest::down);
    check();
    check();
    assertThat(circuit.isOpen()).isTrue();

    // still down: it keeps probing every probe-interval and stays open
    int probesAtOpen = probes.get();
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> probes.get() >= probesAtOpen + 3);
    assertThat(circuit.isOpen()).isTrue();

    answer.set(JournalCircuitTest::reachable);
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> !circuit.isOpen());
    assertThat(circuit.openReason()).isEmpty();
    assertThat(listedAsOpenBreaker()).isFalse();

    // closed resets the readiness count: one failed probe afterwards does not reopen it
    answer.set(JournalCircuitTest::down);
    check();
    assertThat(circuit.isOpen()).isFalse();
  }
}
