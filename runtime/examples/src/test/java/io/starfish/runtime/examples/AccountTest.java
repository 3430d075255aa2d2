package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.StarfishSharding;
import io.starfish.sharding.internal.EntityState;
import io.starfish.sharding.internal.KeyRecorded;
import io.starfish.supervision.SupervisionSettings;
import java.time.Duration;
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

  /** A small bound, so that the test can overflow it. */
  private static final int MAX_KEYS = 4;

  private static ActorTestKit testKit;
  private EventSourcedBehaviorTestKit<EntityMessage, CborSerializable, EntityState<Account.State>>
      account;

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
                    3,
                    2,
                    Duration.ofSeconds(1),
                    Duration.ofMillis(500),
                    MAX_KEYS,
                    Duration.ofHours(1)),
                SupervisionSettings.create(testKit.system())));
  }

  private CommandResultWithReply<
          EntityMessage, CborSerializable, EntityState<Account.State>, EntityResult>
      run(String json) {
    JsonNode command;
    try {
      command = EntityJson.COMMANDS.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    return account.runCommand(replyTo -> new EntityMessage.Execute(command, replyTo));
  }

  private CommandResultWithReply<
          EntityMessage, CborSerializable, EntityState<Account.State>, EntityResult>
      run(String json, String idempotencyKey) {
    JsonNode command;
    try {
      command = EntityJson.COMMANDS.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
    return account.runCommand(
        replyTo -> new EntityMessage.Execute(command, idempotencyKey, replyTo));
  }

  private long balance() {
    var state = account.runCommand(EntityMessage.GetState::new);
    return ((EntityResult.Current) state.reply()).state().get("balance").asLong();
  }

  private long version() {
    var state = account.runCommand(EntityMessage.GetState::new);
    return ((EntityResult.Current) state.reply()).version();
  }

  @Test
  void aKeyedCommandRetriedIsAppliedOnceAndTheRetryGetsTheOriginalOutcome() {
    var first = run("{\"type\":\"deposit\",\"amount\":50}", "k-1");
    run("{\"type\":\"deposit\",\"amount\":7}");
    // the same command, fields in another order
    var retry = run("{\"amount\":50,\"type\":\"deposit\"}", "k-1");

    assertThat(first.events()).hasSize(2).first().isEqualTo(new Account.Deposited(50));
    assertThat(first.events().get(1)).isInstanceOf(KeyRecorded.class);
    EntityResult.Accepted accepted = (EntityResult.Accepted) first.reply();
    assertThat(accepted.version()).isEqualTo(1);
    assertThat(retry.hasNoEvents()).isTrue();
    assertThat(retry.reply())
        .isEqualTo(new EntityResult.Repeated(1, accepted.state(), accepted.reply(), null));
    assertThat(balance()).isEqualTo(57);
    // the record is not a domain event: two deposits, version 2
    assertThat(version()).isEqualTo(2);
  }

  @Test
  void aKeyReusedForADifferentCommandIsRefusedAndChangesNothing() {
    run("{\"type\":\"deposit\",\"amount\":50}", "k-1");
    var reused = run("{\"type\":\"deposit\",\"amount\":51}", "k-1");

    assertThat(reused.hasNoEvents()).isTrue();
    assertThat(reused.reply()).isInstanceOf(EntityResult.KeyReused.class);
    assertThat(balance()).isEqualTo(50);
  }

  @Test
  void aKeyedRejectionIsRecordedSoThatItsRetryIsRejectedAgainAfterTheBalanceChanged() {
    var rejected = run("{\"type\":\"withdraw\",\"amount\":30}", "w-1");
    run("{\"type\":\"deposit\",\"amount\":100}");
    var retry = run("{\"type\":\"withdraw\",\"amount\":30}", "w-1");

    assertThat(rejected.reply()).isInstanceOf(EntityResult.Rejected.class);
    assertThat(retry.hasNoEvents()).isTrue();
    EntityResult.Repeated repeated = (EntityResult.Repeated) retry.reply();
    assertThat(repeated.rejection()).startsWith("insufficient funds");
    assertThat(repeated.version()).isZero();
    assertThat(balance()).isEqualTo(100);
    assertThat(version()).isEqualTo(1);
  }

  @Test
  void keysSurviveARestartFromSnapshotAndEvents() {
    // snapshot every 3 journal entries: the keys must be in the snapshot and in the events after
    for (int i = 1; i <= 4; i++) {
      run("{\"type\":\"deposit\",\"amount\":" + i + "}", "d-" + i);
    }
    account.restart();

    for (int i = 1; i <= 4; i++) {
      var retry = run("{\"type\":\"deposit\",\"amount\":" + i + "}", "d-" + i);
      assertThat(retry.reply()).as("retry of d-" + i).isInstanceOf(EntityResult.Repeated.class);
      assertThat(((EntityResult.Repeated) retry.reply()).version()).isEqualTo(i);
    }
    assertThat(balance()).isEqualTo(1 + 2 + 3 + 4);
    assertThat(version()).isEqualTo(4);
  }

  @Test
  void onlyTheNewestKeysAreRemembered() {
    for (int i = 1; i <= MAX_KEYS + 1; i++) {
      run("{\"type\":\"deposit\",\"amount\":1}", "d-" + i);
    }
    assertThat(account.getState().keys()).hasSize(MAX_KEYS);
    // the oldest key is forgotten: its retry is applied again (the documented bound)
    assertThat(run("{\"type\":\"deposit\",\"amount\":1}", "d-1").reply())
        .isInstanceOf(EntityResult.Accepted.class);
    assertThat(run("{\"type\":\"deposit\",\"amount\":1}", "d-" + (MAX_KEYS + 1)).reply())
        .isInstanceOf(EntityResult.Repeated.class);
  }

  @Test
  void depositPersistsDepositedAndRepliesWithTheNewStateAndVersion() {
    var result = run("{\"type\":\"deposit\",\"amount\":50}");

    assertThat(result.events()).containsExactly(new Account.Deposited(50));
    assertThat(result.state().domain()).isEqualTo(new Account.State(50));
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
    assertThat(result.state().domain().balance()).isEqualTo(30);
    assertThat(((EntityResult.Accepted) result.reply()).version()).isEqualTo(2);
  }

  @Test
  void overdrawingIsRejectedAndPersistsNothing() {
    run("{\"type\":\"deposit\",\"amount\":50}");
    var result = run("{\"type\":\"withdraw\",\"amount\":51}");

    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.state().domain().balance()).isEqualTo(50);
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
    assertThat(result.state().domain().balance()).isEqualTo(Long.MAX_VALUE);
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
    assertThat(account.getState().domain()).isEqualTo(new Account.State(125));
  }
}
