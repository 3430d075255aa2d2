package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.persistence.PersistenceSettings;
import io.starfish.runtime.examples.Account.Deposit;
import io.starfish.runtime.examples.Account.Withdraw;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.testkit.EntityTestKit;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The account entity as Starfish runs it (generated behaviour + supervision), in-memory journal,
 * through the public {@link EntityTestKit}: typed commands in, typed events and state out.
 */
class AccountTest {

  /** A small bound, so that the test can overflow it. */
  private static final int MAX_KEYS = 4;

  private static ActorTestKit testKit;
  private EntityTestKit<Account.Command, Account.Event, Account.State> account;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("AccountTest", EntityTestKit.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newAccount() {
    account =
        EntityTestKit.of(
            testKit.system(),
            Account.TYPE,
            "a1",
            // snapshot every 3 events, to exercise recovery from a snapshot plus events
            new PersistenceSettings(
                3,
                2,
                Duration.ofSeconds(1),
                Duration.ofMillis(500),
                MAX_KEYS,
                Duration.ofHours(1)));
  }

  private long balance() {
    return account.read().state().get("balance").asLong();
  }

  private long version() {
    return account.version();
  }

  @Test
  void aKeyedCommandRetriedIsAppliedOnceAndTheRetryGetsTheOriginalOutcome() {
    var first = account.run(new Deposit(50), "k-1");
    account.run(new Deposit(7));
    // the same command, fields in another order
    var retry = account.runJson("{\"amount\":50,\"type\":\"deposit\"}", "k-1");

    assertThat(first.events()).containsExactly(new Account.Deposited(50));
    assertThat(first.keyRecorded()).isTrue();
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
    account.run(new Deposit(50), "k-1");
    var reused = account.run(new Deposit(51), "k-1");

    assertThat(reused.hasNoEvents()).isTrue();
    assertThat(reused.reply()).isInstanceOf(EntityResult.KeyReused.class);
    assertThat(balance()).isEqualTo(50);
  }

  @Test
  void aKeyedRejectionIsRecordedSoThatItsRetryIsRejectedAgainAfterTheBalanceChanged() {
    var rejected = account.run(new Withdraw(30), "w-1");
    account.run(new Deposit(100));
    var retry = account.run(new Withdraw(30), "w-1");

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
      account.run(new Deposit(i), "d-" + i);
    }
    account.restart();

    for (int i = 1; i <= 4; i++) {
      var retry = account.run(new Deposit(i), "d-" + i);
      assertThat(retry.reply()).as("retry of d-" + i).isInstanceOf(EntityResult.Repeated.class);
      assertThat(((EntityResult.Repeated) retry.reply()).version()).isEqualTo(i);
    }
    assertThat(balance()).isEqualTo(1 + 2 + 3 + 4);
    assertThat(version()).isEqualTo(4);
  }

  @Test
  void onlyTheNewestKeysAreRemembered() {
    for (int i = 1; i <= MAX_KEYS + 1; i++) {
      account.run(new Deposit(1), "d-" + i);
    }
    assertThat(account.rememberedKeys()).isEqualTo(MAX_KEYS);
    // the oldest key is forgotten: its retry is applied again (the documented bound)
    assertThat(account.run(new Deposit(1), "d-1").reply())
        .isInstanceOf(EntityResult.Accepted.class);
    assertThat(account.run(new Deposit(1), "d-" + (MAX_KEYS + 1)).reply())
        .isInstanceOf(EntityResult.Repeated.class);
  }

  @Test
  void depositPersistsDepositedAndRepliesWithTheNewStateAndVersion() {
    var result = account.run(new Deposit(50));

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
    account.run(new Deposit(50));
    var result = account.run(new Withdraw(20));

    assertThat(result.events()).containsExactly(new Account.Withdrawn(20));
    assertThat(result.state().balance()).isEqualTo(30);
    assertThat(((EntityResult.Accepted) result.reply()).version()).isEqualTo(2);
  }

  @Test
  void overdrawingIsRejectedAndPersistsNothing() {
    account.run(new Deposit(50));
    var result = account.run(new Withdraw(51));

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
      var result = account.runJson(json);
      assertThat(result.hasNoEvents()).as(json).isTrue();
      assertThat(result.reply()).as(json).isInstanceOf(EntityResult.Invalid.class);
    }
  }

  @Test
  void aDepositThatWouldOverflowIsRejected() {
    account.run(new Deposit(Long.MAX_VALUE));
    var result = account.run(new Deposit(1));
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.reply()).isInstanceOf(EntityResult.Rejected.class);
    assertThat(result.state().balance()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aMalformedCommandThatBypassedHttpValidationIsAnsweredInvalid() {
    var result = account.runJson("{\"type\":\"deposit\",\"amount\":\"lots\"}");
    assertThat(result.hasNoEvents()).isTrue();
    assertThat(result.reply()).isInstanceOf(EntityResult.Invalid.class);
  }

  @Test
  void afterARestartTheStateAndVersionAreRecoveredFromSnapshotAndEvents() {
    for (int i = 1; i <= 5; i++) {
      account.run(new Deposit(i * 10));
    }
    account.run(new Withdraw(25));

    account.restart();

    EntityResult.Current current = account.read();
    assertThat(current.version()).isEqualTo(6);
    assertThat(current.state().get("balance").asLong()).isEqualTo(150 - 25);
    assertThat(account.state()).isEqualTo(new Account.State(125));
  }

  @Test
  void aDeletedAccountAnswersGoneToEverythingAndItsJournalIsClearedAlsoAcrossARestart() {
    account.run(new Deposit(10), "d-1");
    account.run(new Deposit(5));

    assertThat(account.delete()).isEqualTo(new EntityResult.Deleted(2));
    assertThat(account.isDeleted()).isTrue();
    Awaitility.await("the journal cleared")
        .atMost(Duration.ofSeconds(10))
        .until(() -> account.journalControl().persistedInStorage("account|a1").isEmpty());

    var afterwards = account.run(new Deposit(1));
    assertThat(afterwards.reply()).isEqualTo(new EntityResult.Gone(2));
    assertThat(afterwards.hasNoEvents()).isTrue();
    assertThat(account.run(new Deposit(10), "d-1").reply()).isEqualTo(new EntityResult.Gone(2));
    assertThat(account.delete()).isEqualTo(new EntityResult.Gone(2));

    // The tombstone snapshot alone brings it back deleted.
    account.restart();
    assertThat(account.readResult()).isEqualTo(new EntityResult.Gone(2));
    assertThat(account.journal()).isEmpty();
  }
}
