package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.CborSerializable;
import io.starfish.persistence.PersistenceSettings;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.supervision.SupervisionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess$;
import org.apache.pekko.persistence.testkit.StorageFailure;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit: commands that reach a declared entity while its write is in flight are decided one
 * after another and written together; each keeps its own outcome, and a failed write fails each of
 * its callers. Writes are observed at the in-memory journal.
 */
class GroupCommitTest {

  sealed interface Command permits Deposit, Withdraw {}

  record Deposit(long amount) implements Command {}

  record Withdraw(long amount) implements Command {}

  record Moved(long amount) implements CborSerializable {}

  record Balance(long value) implements CborSerializable {}

  static final EntityType<Command, Moved, Balance> WALLET =
      EntityType.of(
          "wallet",
          Command.class,
          Moved.class,
          new Balance(0),
          (state, command) -> {
            if (command instanceof Deposit deposit) {
              return Outcome.persist(new Moved(deposit.amount()));
            }
            long amount = ((Withdraw) command).amount();
            if (amount > state.value()) {
              return Outcome.reject("insufficient funds: " + state.value());
            }
            return Outcome.persist(new Moved(-amount));
          },
          (state, event) -> new Balance(state.value() + event.amount()));

  private static ActorTestKit testKit;
  private static PersistenceTestKit journal;
  private static int nextId;

  /** The size of every write the journal received (events per atomic write), in order. */
  private final List<Integer> writes = new CopyOnWriteArrayList<>();

  private String id;

  /**
   * Holds the wallet's first write until every command of a burst is in its mailbox, so the rest
   * really arrive while that write is in flight (on a slow machine the in-memory write could
   * otherwise finish before the test thread sends the second command).
   */
  private final java.util.concurrent.CountDownLatch burstSent =
      new java.util.concurrent.CountDownLatch(1);

  @BeforeAll
  static void start() {
    testKit =
        ActorTestKit.create(
            "GroupCommitTest",
            ConfigFactory.parseString(
                    "starfish.supervision.entity { min-backoff = 50ms, max-backoff = 200ms }")
                .withFallback(InMemoryPersistence.config()));
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newWallet() {
    id = "w" + nextId++;
    recordWrites(false);
  }

  /** Records each write's size; fails every write of more than one command if asked to. */
  private void recordWrites(boolean failGroupWrites) {
    journal.withPolicy(
        new ProcessingPolicy<JournalOperation>() {
          @Override
          public ProcessingResult tryProcess(String persistenceId, JournalOperation operation) {
            if (operation instanceof WriteEvents write && persistenceId.equals("wallet|" + id)) {
              if (writes.isEmpty()) {
                awaitBurst();
              }
              writes.add(write.getBatch().size());
              if (failGroupWrites && write.getBatch().size() > 1) {
                return new StorageFailure(new RuntimeException("journal write failed (test)"));
              }
            }
            return ProcessingSuccess$.MODULE$;
          }
        });
  }

  private void awaitBurst() {
    try {
      burstSent.await(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ActorRef<EntityMessage> spawnWallet(ShardingSettings sharding) {
    return testKit.spawn(
        io.starfish.sharding.internal.EntityInstance.behavior(
            WALLET,
            id,
            PersistenceSettings.create(testKit.system()),
            SupervisionSettings.create(testKit.system()),
            self -> {},
            (type, target) -> {
              throw new IllegalStateException("no routing in this test");
            },
            sharding));
  }

  private static ShardingSettings groupCommit(int maxBatch) {
    return new ShardingSettings(
        java.util.Optional.empty(), false, "d", Duration.ZERO, maxBatch, 4096);
  }

  private static JsonNode json(Object command) {
    return CommandCodec.encode(command);
  }

  /** Sends every command at once (they queue in the mailbox) and collects the answers in order. */
  private List<EntityResult> sendAll(
      ActorRef<EntityMessage> wallet, List<Object> commands, List<String> keys) {
    List<TestProbe<EntityResult>> probes = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      TestProbe<EntityResult> probe = testKit.createTestProbe();
      probes.add(probe);
      wallet.tell(new EntityMessage.Execute(json(commands.get(i)), keys.get(i), probe.ref()));
    }
    burstSent.countDown();
    List<EntityResult> answers = new ArrayList<>();
    for (TestProbe<EntityResult> probe : probes) {
      answers.add(probe.receiveMessage(Duration.ofSeconds(5)));
    }
    return answers;
  }

  private static List<String> noKeys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(null);
    }
    return keys;
  }

  private EntityResult.Current read(ActorRef<EntityMessage> wallet) {
    TestProbe<EntityResult> probe = testKit.createTestProbe();
    wallet.tell(new EntityMessage.GetState(probe.ref()));
    return (EntityResult.Current) probe.receiveMessage(Duration.ofSeconds(5));
  }

  @Test
  void commandsArrivingDuringAWriteAreWrittenTogetherEachWithItsOwnVersion() {
    ActorRef<EntityMessage> wallet = spawnWallet(groupCommit(64));
    List<Object> deposits = new ArrayList<>();
    for (int i = 1; i <= 30; i++) {
      deposits.add(new Deposit(i));
    }
    List<EntityResult> answers = sendAll(wallet, deposits, noKeys(30));

    long balance = 0;
    for (int i = 0; i < 30; i++) {
      balance += i + 1;
      EntityResult.Accepted accepted = (EntityResult.Accepted) answers.get(i);
      assertThat(accepted.version()).as("version of command " + (i + 1)).isEqualTo(i + 1);
      assertThat(accepted.state().get("value").asLong()).isEqualTo(balance);
    }
    assertThat(writes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(30);
    assertThat(writes.size()).as("atomic writes for 30 commands: " + writes).isLessThan(30);
    assertThat(writes.get(0)).as("the first command is written alone, at once").isEqualTo(1);
    assertThat(read(wallet).version()).isEqualTo(30);
  }

  @Test
  void withoutGroupCommitEveryCommandIsItsOwnWrite() {
    ActorRef<EntityMessage> wallet = spawnWallet(groupCommit(1));
    List<Object> deposits = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      deposits.add(new Deposit(1));
    }
    sendAll(wallet, deposits, noKeys(10));
    assertThat(writes).hasSize(10).containsOnly(1);
  }

  @Test
  void eachCommandInABatchIsDecidedOnTheStateTheOneBeforeLeft() {
    ActorRef<EntityMessage> wallet = spawnWallet(groupCommit(64));
    // deposit 10 first (alone), then a burst: withdraw 6 ok, withdraw 6 rejected (4 left),
    // keyed withdraw 4 ok, its retry in the same batch repeated, the key reused: refused
    List<EntityResult> answers =
        sendAll(
            wallet,
            List.of(
                new Deposit(10),
                new Withdraw(6),
                new Withdraw(6),
                new Withdraw(4),
                new Withdraw(4),
                new Withdraw(3)),
            java.util.Arrays.asList(null, null, null, "k-1", "k-1", "k-1"));

    assertThat(answers.get(0)).isInstanceOf(EntityResult.Accepted.class);
    assertThat(((EntityResult.Accepted) answers.get(1)).version()).isEqualTo(2);
    assertThat(answers.get(2)).isEqualTo(new EntityResult.Rejected("insufficient funds: 4"));
    EntityResult.Accepted keyed = (EntityResult.Accepted) answers.get(3);
    assertThat(keyed.version()).isEqualTo(3);
    assertThat(answers.get(4))
        .isEqualTo(new EntityResult.Repeated(3, keyed.state(), keyed.reply(), null));
    assertThat(answers.get(5)).isInstanceOf(EntityResult.KeyReused.class);
    assertThat(read(wallet).state().get("value").asLong()).isZero();
    assertThat(read(wallet).version()).isEqualTo(3);
  }

  @Test
  void aFailedGroupWriteAnswersEachOfItsCallersAtOnceAndWritesNoneOfThem() {
    recordWrites(true);
    ActorRef<EntityMessage> wallet = spawnWallet(groupCommit(64));
    List<Object> deposits = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      deposits.add(new Deposit(1));
    }
    // every caller gets an answer well within the 5 s a lost one would wait
    List<EntityResult> answers = sendAll(wallet, deposits, noKeys(12));

    assertThat(answers.get(0)).as("written alone").isInstanceOf(EntityResult.Accepted.class);
    assertThat(answers.subList(1, 12))
        .as("the callers of the failed group write")
        .allSatisfy(answer -> assertThat(answer).isInstanceOf(EntityResult.Unavailable.class));
    // the entity restarts and recovers: only the first deposit was written
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(read(wallet).version()).isEqualTo(1));
    assertThat(read(wallet).state().get("value").asLong()).isEqualTo(1);
  }
}
