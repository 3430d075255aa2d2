package io.starfish.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.EntityResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ResendingAskTest {

  private static final EntityResult ANSWER = new EntityResult.Unavailable("the answer");

  /** A gateway whose n-th ask (from 1) is answered as {@code behaviour} says. */
  private static final class Gateway implements EntityGateway {
    final AtomicInteger asks = new AtomicInteger();
    final Function<Integer, CompletableFuture<EntityResult>> behaviour;

    Gateway(Function<Integer, CompletableFuture<EntityResult>> behaviour) {
      this.behaviour = behaviour;
    }

    @Override
    public EntityRegistry registry() {
      return EntityRegistry.of();
    }

    @Override
    public CompletionStage<EntityResult> ask(
        String type,
        String id,
        Function<ActorRef<EntityResult>, EntityMessage> message,
        Duration timeout) {
      CompletableFuture<EntityResult> answer = behaviour.apply(asks.incrementAndGet());
      return answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static CompletableFuture<EntityResult> ask(
      Gateway gateway, long timeoutMs, long resendMs) {
    return ResendingAsk.ask(
            gateway,
            "account",
            "a1",
            EntityMessage.GetState::new,
            Duration.ofMillis(timeoutMs),
            Duration.ofMillis(resendMs))
        .toCompletableFuture();
  }

  @Test
  void aDroppedMessageIsSentAgainAndTheSecondAnswerArrives() throws Exception {
    // The first message is lost (as in a shard hand-off), the second is answered.
    Gateway gateway =
        new Gateway(
            n -> n == 1 ? new CompletableFuture<>() : CompletableFuture.completedFuture(ANSWER));
    long start = System.nanoTime();
    assertThat(ask(gateway, 3_000, 200).get(5, TimeUnit.SECONDS)).isEqualTo(ANSWER);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(gateway.asks.get()).isEqualTo(2);
  }

  @Test
  void anAnswerInTimeIsNotSentAgain() throws Exception {
    Gateway gateway = new Gateway(n -> CompletableFuture.completedFuture(ANSWER));
    assertThat(ask(gateway, 3_000, 200).get(5, TimeUnit.SECONDS)).isEqualTo(ANSWER);
    // Stays at one ask for longer than the resend interval.
    Awaitility.await()
        .during(Duration.ofMillis(600))
        .atMost(Duration.ofSeconds(2))
        .until(() -> gateway.asks.get() == 1);
  }

  @Test
  void withoutAnyAnswerItFailsWithATimeoutAtTheDeadline() {
    Gateway gateway = new Gateway(n -> new CompletableFuture<>());
    long start = System.nanoTime();
    assertThatThrownBy(() -> ask(gateway, 1_000, 300).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(TimeoutException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took)
        .isGreaterThanOrEqualTo(Duration.ofMillis(950))
        .isLessThan(Duration.ofSeconds(3));
    // at 0, 300, 600 and 900 ms on time; a loaded machine may run a resend late, never past the
    // deadline
    assertThat(gateway.asks.get()).isBetween(2, 4);
  }

  @Test
  void anyOtherFailureEndsItAtOnce() {
    Gateway gateway =
        new Gateway(n -> CompletableFuture.failedFuture(new IllegalStateException("broken")));
    assertThatThrownBy(() -> ask(gateway, 3_000, 200).get(1, TimeUnit.SECONDS))
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void zeroResendAfterAsksOnce() {
    Gateway gateway = new Gateway(n -> new CompletableFuture<>());
    assertThatThrownBy(() -> ask(gateway, 500, 0).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TimeoutException.class);
    assertThat(gateway.asks.get()).isEqualTo(1);
  }
}
