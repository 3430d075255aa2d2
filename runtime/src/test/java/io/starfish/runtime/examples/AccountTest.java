package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.StarfishSharding;
import io.starfish.sharding.internal.Json;
import io.starfish.supervision.SupervisionSettings;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The account entity as Starfish runs it (generated behaviour + supervision), in-memory journal.
 */
class AccountTest {

  private static ActorTestKit testKit;
  private EventSourcedBehaviorTestKit<EntityMessage, Account.Event, Account.State> account;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("AccountTest", InMemoryPersistence.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newAccount() {
    account =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            StarfishSharding.entityBehavior(
                Account.TYPE,
                "a1",
                // snapshot every 3 events, to exercise recovery from a snapshot plus events
                new PersistenceSettings(
                    3, 2, java.time.Duration.ofSeconds(1), java.time.Duration.ofMillis(500)),
                SupervisionSettings.create(testKit.system())));
  }

  private CommandResultWithReply<EntityMessage, Account.Event, Account.State, EntityResult> run(
      String json) {
    JsonNode command;
    try {
      command = Json.COMMANDS.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    return account.runCommand(replyTo -> new EntityMessage.Execute(command, replyTo));
  }

  @Test
  void depositPersistsDepositedAndRepliesWithTheNewStateAndVersion() {
    var result = run("{\"type\":\"deposit\",\"amount\":50}");

    assertThat(result.events()).containsExactly(new Account.Deposited(50));
    assertThat(result.state()).isEqualTo(new Account.State(50));
    EntityResult.Accepted reply = (EntityResult.Accepted) result.reply();
    assertThat(reply.version()).isEqualTo(1);
    assertThat(reply.state().toString()).isEqualTo("{\"balance\":50}");
    assertThat(reply.reply().toString())
        .isEqualTo("{\"events\":[{\"type\":\"deposited\",\"amount\":50}]}");
  }

  @Test
  void withdrawWithinTheBalancePersistsWithdrawn() {
    run("{\"type\":\"deposit\",\"amount\":50}");
    var result = run("{\"type\":\"withdraw\",\"amount\":20}");

    assertThat(result.events()).containsExactly(new Account.Withdrawn(20));
    assertThat(result.state().balance()).isEqualTo(30);
    assertThat(((EntityResult.Accepted) result.reply()).version()).isEqualTo(2);
  }

  @Test
  void overdrawingIsRejectedAndPersistsNothing() {
    run("{\"type\":\"deposit\",\"amount\":50}");
    var result = run("{\"type\":\"withdraw\",\"amount\":51}");

    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.state().balance()).isEqualTo(50);
    assertThat(result.reply())
        .isEqualTo(new EntityResult.Rejected("insufficient funds: balance 50, withdrawal 51"));
  }

  @Test
  void nonPositiveAmountsAreInvalidAndPersistNothing() {
    for (String json :
        new String[] {
          "{\"type\":\"deposit\",\"amount\":0}",
          "{\"type\":\"deposit\",\"amount\":-5}",
          "{\"type\":\"withdraw\",\"amount\":0}"
        }) {
      var result = run(json);
      assertThat(result.hasNoEvents()).as(json).isTrue();
      assertThat(result.reply()).as(json).isInstanceOf(EntityResult.Invalid.class);
    }
  }

  @Test
  void aDepositThatWouldOverflowIsRejected() {
    run("{\"type\":\"deposit\",\"amount\":" + Long.MAX_VALUE + "}");
    var result = run("{\"type\":\"deposit\",\"amount\":1}");
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.reply()).isInstanceOf(EntityResult.Rejected.class);
    assertThat(result.state().balance()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aMalformedCommandThatBypassedHttpValidationIsAnsweredInvalid() {
    var result = run("{\"type\":\"deposit\",\"amount\":\"lots\"}");
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.reply()).isInstanceOf(EntityResult.Invalid.class);
  }

  @Test
  void afterARestartTheStateAndVersionAreRecoveredFromSnapshotAndEvents() {
    for (int i = 1; i <= 5; i++) {
      run("{\"type\":\"deposit\",\"amount\":" + i * 10 + "}");
    }
    run("{\"type\":\"withdraw\",\"amount\":25}");

    account.restart();

    var state = account.runCommand(EntityMessage.GetState::new);
    EntityResult.Current current = (EntityResult.Current) state.reply();
    assertThat(current.version()).isEqualTo(6);
    assertThat(current.state().get("balance").asLong()).isEqualTo(150 - 25);
    assertThat(account.getState()).isEqualTo(new Account.State(125));
  }
}
