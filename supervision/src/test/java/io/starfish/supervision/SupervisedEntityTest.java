package io.starfish.supervision;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The entity supervision policy on a plain (in-memory) behaviour: restart with backoff and an
 * immediate answer for the failing command, quarantine of a poison command, giving up after too
 * many failures in a row, and dependency failures that never count against the entity.
 */
class SupervisedEntityTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  sealed interface Msg {}

  /**
   * "ok" answers "done"; any name starting with "boom" throws; "journal" throws a dependency
   * failure.
   */
  record Cmd(String name, ActorRef<String> replyTo) implements Msg {}

  record Get(ActorRef<String> replyTo) implements Msg {}

  static final class DependencyDown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DependencyDown() {
      super("journal down");
    }
  }

  static final CommandInspector<Msg> INSPECTOR =
      new CommandInspector<>() {
        @Override
        public Optional<Object> commandKey(Msg message) {
          return message instanceof Cmd cmd ? Optional.of(cmd.name()) : Optional.empty();
        }

        @Override
        public String describe(Msg message) {
          return message.toString();
        }

        @Override
        public void replyUnavailable(Msg message, String reason) {
          replyTo(message).tell("unavailable: " + reason);
        }

        @Override
        public void replyQuarantined(Msg message, String reason) {
          replyTo(message).tell("quarantined: " + reason);
        }

        private ActorRef<String> replyTo(Msg message) {
          return message instanceof Cmd cmd ? cmd.replyTo() : ((Get) message).replyTo();
        }
      };

  /** Counts handled commands in memory (lost on restart); reports every (re)start. */
  static Behavior<Msg> entity(ActorRef<String> lifecycle) {
    return Behaviors.setup(
        context -> {
          lifecycle.tell("started");
          int[] handled = {0};
          return Behaviors.receive(Msg.class)
              .onMessage(
                  Cmd.class,
                  cmd -> {
                    if (cmd.name().startsWith("boom")) {
                      throw new IllegalStateException("poison " + cmd.name());
                    }
                    if (cmd.name().equals("journal")) {
                      throw new DependencyDown();
                    }
                    handled[0]++;
                    cmd.replyTo().tell("done");
                    return Behaviors.same();
                  })
              .onMessage(
                  Get.class,
                  get -> {
                    get.replyTo().tell("handled " + handled[0]);
                    return Behaviors.same();
                  })
              .build();
        });
  }

  static EntityPolicy policy(int maxRestarts, int quarantineAfter) {
    return new EntityPolicy(
        new BackoffSettings(Duration.ofMillis(100), Duration.ofMillis(200), 0),
        maxRestarts,
        Duration.ofSeconds(30),
        quarantineAfter,
        Duration.ofMinutes(1),
        8);
  }

  record Fixture(
      ActorRef<Msg> entity,
      TestProbe<String> lifecycle,
      TestProbe<String> replies,
      TestProbe<ActorRef<Msg>> givenUp,
      FailureStatistics statistics) {

    String ask(String command) {
      entity.tell(new Cmd(command, replies.ref()));
      return replies.receiveMessage(Duration.ofSeconds(3));
    }

    void awaitRestart() {
      assertThat(lifecycle.receiveMessage(Duration.ofSeconds(3))).isEqualTo("started");
    }
  }

  static Fixture spawn(EntityPolicy policy) {
    return spawn(policy, Optional::empty);
  }

  static Fixture spawn(EntityPolicy policy, Supplier<Optional<String>> dependencyDown) {
    TestProbe<String> lifecycle = testKit.createTestProbe();
    TestProbe<String> replies = testKit.createTestProbe();
    TestProbe<ActorRef<Msg>> givenUp = testKit.createTestProbe();
    FailureStatistics statistics = new FailureStatistics();
    Behavior<Msg> supervised =
        SupervisedEntity.of("test", "e1", Msg.class, policy, INSPECTOR, statistics)
            .dependencyFailures(failure -> failure instanceof DependencyDown, failure -> {})
            .refuseCommandsWhile(dependencyDown)
            .onGiveUp(givenUp.ref()::tell)
            .wrap(entity(lifecycle.ref()));
    Fixture fixture =
        new Fixture(testKit.spawn(supervised), lifecycle, replies, givenUp, statistics);
    fixture.awaitRestart();
    return fixture;
  }

  @Test
  void whileADependencyIsDownCommandsAreRefusedAtOnceWithoutReachingTheEntityAndQueriesPass() {
    AtomicReference<Optional<String>> down = new AtomicReference<>(Optional.empty());
    Fixture f = spawn(policy(10, 3), down::get);
    assertThat(f.ask("ok")).isEqualTo("done");

    down.set(Optional.of("journal circuit open"));
    assertThat(f.ask("ok"))
        .isEqualTo("unavailable: refused without trying: journal circuit open;" + " retry shortly");
    f.entity().tell(new Get(f.replies().ref()));
    assertThat(f.replies().receiveMessage()).isEqualTo("handled 1");
    // A refused command never reached the entity: neither failed nor restarted it.
    assertThat(f.ask("journal")).startsWith("unavailable: refused without trying");
    f.lifecycle().expectNoMessage(Duration.ofMillis(300));

    down.set(Optional.empty());
    assertThat(f.ask("ok")).isEqualTo("done");
    f.entity().tell(new Get(f.replies().ref()));
    assertThat(f.replies().receiveMessage()).isEqualTo("handled 2");
    assertThat(f.statistics().forEntityType("test").failures()).isZero();
  }

  @Test
  void aThrowingCommandIsAnsweredAtOnceAndTheEntityRestartsAfterTheBackoff() {
    Fixture f = spawn(policy(10, 3));
    assertThat(f.ask("ok")).isEqualTo("done");

    long failedAt = System.nanoTime();
    assertThat(f.ask("boom")).startsWith("unavailable: the entity failed while handling");
    f.awaitRestart();
    long restartedAfterMillis = (System.nanoTime() - failedAt) / 1_000_000;

    assertThat(restartedAfterMillis).isGreaterThanOrEqualTo(100);
    // in-memory state is gone after the restart (a persistent entity recovers it: see sharding)
    f.entity().tell(new Get(f.replies().ref()));
    assertThat(f.replies().receiveMessage()).isEqualTo("handled 0");
    assertThat(f.statistics().forEntityType("test").restarts()).isEqualTo(1);
    assertThat(f.statistics().forEntityType("test").quarantinedCommands()).isZero();
  }

  @Test
  void aCommandThatFailsTheEntityQuarantineAfterTimesInARowIsQuarantined() {
    Fixture f = spawn(policy(10, 3));

    assertThat(f.ask("boom")).startsWith("unavailable:");
    f.awaitRestart();
    assertThat(f.ask("boom")).startsWith("unavailable:");
    f.awaitRestart();
    // the third failure quarantines it ...
    assertThat(f.ask("boom")).startsWith("quarantined: this command made the entity fail 3 times");
    f.awaitRestart();
    // ... so the fourth attempt is refused without reaching (and restarting) the entity
    assertThat(f.ask("boom")).startsWith("quarantined:");
    f.lifecycle().expectNoMessage(Duration.ofMillis(300));

    // other commands are served meanwhile
    assertThat(f.ask("ok")).isEqualTo("done");
    assertThat(f.ask("boom-other")).startsWith("unavailable:");
    f.awaitRestart();
    FailureStatistics.EntityTypeFailures stats = f.statistics().forEntityType("test");
    assertThat(stats.failures()).isEqualTo(4);
    assertThat(stats.quarantinedCommands()).isEqualTo(2);
    assertThat(stats.givenUp()).isZero();
  }

  @Test
  void failuresOfTheSameCommandAddUpWhileOtherCommandsSucceedInBetween() {
    Fixture f = spawn(policy(10, 2));
    // "ok" succeeding in between does not reset "boom"'s count (reset-after, 30 s, would)
    assertThat(f.ask("boom")).startsWith("unavailable:");
    f.awaitRestart();
    assertThat(f.ask("ok")).isEqualTo("done");
    assertThat(f.ask("boom")).startsWith("quarantined:");
  }

  @Test
  void anEntityThatFailsMoreThanMaxRestartsTimesInARowIsGivenUpOn() {
    Fixture f = spawn(policy(2, 10));

    assertThat(f.ask("boom-1")).startsWith("unavailable:");
    f.awaitRestart();
    assertThat(f.ask("boom-2")).startsWith("unavailable:");
    f.awaitRestart();
    assertThat(f.ask("boom-3")).startsWith("unavailable:");

    assertThat(f.givenUp().receiveMessage(Duration.ofSeconds(3))).isEqualTo(f.entity());
    // no further restart; requests are answered "unavailable" until the actor is stopped
    f.lifecycle().expectNoMessage(Duration.ofMillis(500));
    f.entity().tell(new Get(f.replies().ref()));
    assertThat(f.replies().receiveMessage())
        .startsWith("unavailable: the entity stopped after repeated failures");
    assertThat(f.statistics().forEntityType("test").givenUp()).isEqualTo(1);
    assertThat(f.statistics().forEntityType("test").restarts()).isEqualTo(2);
  }

  @Test
  void dependencyFailuresRestartTheEntityButNeverQuarantineNorGiveUp() {
    Fixture f = spawn(policy(2, 2));

    for (int i = 0; i < 5; i++) {
      assertThat(f.ask("journal")).startsWith("unavailable: the entity's storage failed");
      f.awaitRestart();
    }

    f.givenUp().expectNoMessage(Duration.ofMillis(300));
    assertThat(f.ask("ok")).isEqualTo("done");
    FailureStatistics.EntityTypeFailures stats = f.statistics().forEntityType("test");
    assertThat(stats.failures()).isEqualTo(5);
    assertThat(stats.quarantinedCommands()).isZero();
    assertThat(stats.givenUp()).isZero();
  }
}
