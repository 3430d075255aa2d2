package io.starfish.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SupervisionTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Counts messages in memory; "boom" throws. Each (re)start reports itself to the probe. */
  sealed interface Msg {}

  record Add(ActorRef<Integer> replyTo) implements Msg {}

  record Boom() implements Msg {}

  static Behavior<Msg> counter(ActorRef<String> lifecycle) {
    return Behaviors.setup(
        ctx -> {
          lifecycle.tell("started");
          return counting(0);
        });
  }

  static Behavior<Msg> counting(int n) {
    return Behaviors.receive(Msg.class)
        .onMessage(
            Add.class,
            add -> {
              add.replyTo().tell(n + 1);
              return counting(n + 1);
            })
        .onMessage(
            Boom.class,
            boom -> {
              throw new IllegalStateException("boom");
            })
        .build();
  }

  @Test
  void throwingBehaviourIsRestartedAfterTheBackoffWithFreshState() {
    BackoffSettings backoff = new BackoffSettings(Duration.ofMillis(300), Duration.ofSeconds(2), 0);
    TestProbe<String> lifecycle = testKit.createTestProbe();
    TestProbe<Integer> replies = testKit.createTestProbe();
    ActorRef<Msg> actor =
        testKit.spawn(Supervision.restartWithBackoff(counter(lifecycle.ref()), backoff));
    lifecycle.expectMessage("started");

    actor.tell(new Add(replies.ref()));
    actor.tell(new Add(replies.ref()));
    assertThat(replies.receiveSeveralMessages(2)).containsExactly(1, 2);

    long failedAt = System.nanoTime();
    actor.tell(new Boom());
    // Sent during the backoff: stashed, then handled by the restarted instance.
    actor.tell(new Add(replies.ref()));
    lifecycle.expectMessage(Duration.ofSeconds(5), "started");
    long restartedAfterMillis = (System.nanoTime() - failedAt) / 1_000_000;

    assertThat(restartedAfterMillis).isGreaterThanOrEqualTo(300);
    assertThat(replies.receiveMessage(Duration.ofSeconds(5))).isEqualTo(1);
  }

  @Test
  void perTypeOverridesFallBackToTheDefaults() {
    SupervisionSettings settings =
        SupervisionSettings.create(
            ConfigFactory.parseString("starfish.supervision.entity-types.account.min-backoff = 1s")
                .withFallback(ConfigFactory.load()));

    assertThat(settings.forEntityType("account").backoff().minBackoff())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(settings.forEntityType("account").backoff().maxBackoff())
        .isEqualTo(settings.entityDefaults().backoff().maxBackoff());
    assertThat(settings.forEntityType("counter")).isEqualTo(settings.entityDefaults());
  }

  @Test
  void invalidBackoffIsRejectedWithTheOffendingValue() {
    assertThatThrownBy(() -> new BackoffSettings(Duration.ofSeconds(2), Duration.ofSeconds(1), 0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max-backoff");
  }
}
