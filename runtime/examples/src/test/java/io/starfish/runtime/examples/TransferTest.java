package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityMessage.Execute;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.testkit.EntityTestKit;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transfer saga as Starfish runs it (generated behaviour + supervision, in-memory journal),
 * with probes in place of the two accounts: each step, each failure branch, and a restart between
 * steps.
 */
class TransferTest {

  private static ActorTestKit testKit;

  /** The probes standing in for accounts, by id; created on the saga's first step to each. */
  private final Map<String, TestProbe<EntityMessage>> accounts = new ConcurrentHashMap<>();

  private EntityTestKit<Transfer.Command, Transfer.Event, Transfer.State> transfer;

  private static int transferCount;
  private String transferId;

  @BeforeAll
  static void start() {
    testKit =
        ActorTestKit.create(
            "TransferTest",
            com.typesafe.config.ConfigFactory.parseString(
                    // quick retries, so that the retry test does not wait long; a step timeout that
                    // a slow
                    // machine cannot hit between a step and the test's answer to it
                    "starfish.sharding.saga { step-timeout = 3 s, retry-min-backoff = 50 ms,"
                        + " retry-max-backoff = 200 ms }")
                .withFallback(EntityTestKit.config()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newTransfer() {
    transferId = "t" + (++transferCount);
    transfer =
        EntityTestKit.of(
            testKit.system(),
            Transfer.TYPE,
            transferId,
            (type, id) -> {
              assertThat(type).isEqualTo("account");
              return account(id).ref();
            });
  }

  private TestProbe<EntityMessage> account(String id) {
    return accounts.computeIfAbsent(id, k -> testKit.createTestProbe("account-" + k));
  }

  private EntityResult start(String from, String to, long amount) {
    return transfer.run(new Transfer.Start(from, to, amount)).reply();
  }

  /** The next step the saga sends to account {@code id}: checked for its command and key. */
  private Execute expectStep(String id, String command, String step) {
    Execute execute = account(id).expectMessageClass(Execute.class, Duration.ofSeconds(10));
    assertThat(execute.command().toString()).isEqualTo(json(command).toString());
    assertThat(execute.idempotencyKey()).isEqualTo("transfer:" + transferId + ":" + step);
    return execute;
  }

  private static void accept(Execute step, long balance) {
    step.replyTo()
        .tell(new EntityResult.Accepted(1, json("{\"balance\":" + balance + "}"), json("{}")));
  }

  private Transfer.State awaitStatus(String status) {
    await().atMost(Duration.ofSeconds(10)).until(() -> transfer.state().status().equals(status));
    return transfer.state();
  }

  private List<Transfer.Event> journal() {
    return transfer.journal();
  }

  @Test
  void aTransferWithdrawsThenDepositsAndCompletes() {
    assertThat(start("a1", "a2", 30)).isInstanceOf(EntityResult.Accepted.class);
    assertThat(transfer.state().status()).isEqualTo("pending");

    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":30}", "withdraw"), 70);
    accept(expectStep("a2", "{\"type\":\"deposit\",\"amount\":30}", "deposit"), 30);

    Transfer.State done = awaitStatus("completed");
    assertThat(done.stage()).isEqualTo(Transfer.Stage.DONE);
    assertThat(done.reason()).isNull();
    assertThat(journal())
        .containsExactly(
            new Transfer.Started("a1", "a2", 30),
            new Transfer.Withdrawn(30),
            new Transfer.Deposited(30));
    account("a1").expectNoMessage(Duration.ofMillis(300));
    account("a2").expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void insufficientFundsFailsTheTransferAndNothingIsDeposited() {
    start("a1", "a2", 500);
    Execute withdraw = expectStep("a1", "{\"type\":\"withdraw\",\"amount\":500}", "withdraw");
    withdraw.replyTo().tell(new EntityResult.Rejected("insufficient funds: balance 100"));

    Transfer.State failed = awaitStatus("failed");
    assertThat(failed.reason()).contains("withdrawal refused").contains("insufficient funds");
    assertThat(journal())
        .containsExactly(
            new Transfer.Started("a1", "a2", 500),
            new Transfer.WithdrawalRefused("insufficient funds: balance 100"));
    account("a2").expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aRefusedDepositIsRefundedToTheSourceAccount() {
    start("a1", "a2", 40);
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":40}", "withdraw"), 60);
    expectStep("a2", "{\"type\":\"deposit\",\"amount\":40}", "deposit")
        .replyTo()
        .tell(new EntityResult.Rejected("deposit of 40 would overflow the balance"));
    accept(expectStep("a1", "{\"type\":\"deposit\",\"amount\":40}", "refund"), 100);

    Transfer.State failed = awaitStatus("failed");
    assertThat(failed.reason()).contains("deposit refused").contains("refunded to a1");
    assertThat(journal())
        .containsExactly(
            new Transfer.Started("a1", "a2", 40),
            new Transfer.Withdrawn(40),
            new Transfer.DepositRefused("deposit of 40 would overflow the balance"),
            new Transfer.Refunded(40));
  }

  @Test
  void aRefusedRefundFailsTheTransferAndSaysTheAmountIsHeld() {
    start("a1", "a2", 40);
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":40}", "withdraw"), 60);
    expectStep("a2", "{\"type\":\"deposit\",\"amount\":40}", "deposit")
        .replyTo()
        .tell(new EntityResult.Rejected("closed"));
    expectStep("a1", "{\"type\":\"deposit\",\"amount\":40}", "refund")
        .replyTo()
        .tell(new EntityResult.Rejected("overflow"));

    assertThat(awaitStatus("failed").reason()).contains("refund refused").contains("held");
  }

  @Test
  void aCrashBetweenStepsResumesWithTheSameKeyAndAppliesNoStepTwice() {
    start("a1", "a2", 25);
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":25}", "withdraw"), 75);
    // The deposit is sent; the saga's node "crashes" before the answer arrives.
    Execute first = expectStep("a2", "{\"type\":\"deposit\",\"amount\":25}", "deposit");
    transfer.restart();

    // Recovered from its journal, the saga sends the deposit again with the same key ...
    Execute again = expectStep("a2", "{\"type\":\"deposit\",\"amount\":25}", "deposit");
    // ... and the account, which applied the first one, answers with the recorded outcome.
    again.replyTo().tell(new EntityResult.Repeated(1, json("{\"balance\":25}"), json("{}"), null));
    first.replyTo().tell(new EntityResult.Accepted(1, json("{\"balance\":25}"), json("{}")));

    awaitStatus("completed");
    assertThat(journal())
        .containsExactly(
            new Transfer.Started("a1", "a2", 25),
            new Transfer.Withdrawn(25),
            new Transfer.Deposited(25));
    // the withdrawal was not sent again after the restart: its result was already persisted
    account("a1").expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void aCrashRightAfterStartSendsTheWithdrawalOnRecovery() {
    start("a1", "a2", 10);
    expectStep("a1", "{\"type\":\"withdraw\",\"amount\":10}", "withdraw"); // never answered
    transfer.restart();
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":10}", "withdraw"), 90);
    accept(expectStep("a2", "{\"type\":\"deposit\",\"amount\":10}", "deposit"), 10);
    awaitStatus("completed");
  }

  @Test
  void anUnavailableOrSilentTargetGetsTheSameStepAgainUntilItAnswers() {
    start("a1", "a2", 5);
    expectStep("a1", "{\"type\":\"withdraw\",\"amount\":5}", "withdraw")
        .replyTo()
        .tell(new EntityResult.Unavailable("the journal (Cassandra) is unreachable"));
    // no answer at all this time: the step times out (3 s here) and is sent again
    expectStep("a1", "{\"type\":\"withdraw\",\"amount\":5}", "withdraw");
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":5}", "withdraw"), 95);
    accept(expectStep("a2", "{\"type\":\"deposit\",\"amount\":5}", "deposit"), 5);
    awaitStatus("completed");
    assertThat(journal()).hasSize(3);
  }

  @Test
  void startingAgainWithTheSameParametersChangesNothingAndOtherParametersAreRejected() {
    start("a1", "a2", 30);
    accept(expectStep("a1", "{\"type\":\"withdraw\",\"amount\":30}", "withdraw"), 70);
    accept(expectStep("a2", "{\"type\":\"deposit\",\"amount\":30}", "deposit"), 30);
    awaitStatus("completed");

    assertThat(start("a1", "a2", 30)).isInstanceOf(EntityResult.Accepted.class);
    assertThat(start("a1", "a2", 31)).isInstanceOf(EntityResult.Rejected.class);
    assertThat(journal()).hasSize(3);
    account("a1").expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void invalidStartsAreRefusedAndPersistNothing() {
    assertThat(start("a1", "a1", 5)).isInstanceOf(EntityResult.Invalid.class);
    assertThat(start("a1", "a2", 0)).isInstanceOf(EntityResult.Invalid.class);
    assertThat(start("a1", "a2", -5)).isInstanceOf(EntityResult.Invalid.class);
    assertThat(start("a 1", "a2", 5)).isInstanceOf(EntityResult.Invalid.class);
    assertThat(journal()).isEmpty();
    assertThat(transfer.state()).isEqualTo(Transfer.State.NEW);
  }

  private static JsonNode json(String text) {
    try {
      return EntityJson.COMMANDS.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
