package io.starfish.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.FencedJournalIT.Add;
import io.starfish.persistence.FencedJournalIT.AddAll;
import io.starfish.persistence.FencedJournalIT.Command;
import io.starfish.persistence.FencedJournalIT.Read;
import io.starfish.persistence.testing.TestCassandra;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fenced journal reads an entity's highest sequence number from the fence (one query instead of
 * the plugin's four). Recovery depends on it being exact: a new incarnation that believed in a
 * lower one would write its next event at a sequence number already taken, and across partitions
 * the fence could not stop it. Each test builds a journal layout the fence read must get right,
 * asks the journal for the highest sequence number, and lets a new incarnation write after it.
 */
@ExtendWith(TestCassandra.class)
class FenceHighestIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String UNFENCED =
      "pekko.persistence.cassandra.journal.class ="
          + " \"org.apache.pekko.persistence.cassandra.journal.CassandraJournal\"";

  private final String keyspace =
      "fence_hi_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private final List<ActorTestKit> nodes = new ArrayList<>();

  private ActorTestKit node(String name, int partitionSize, String extra) {
    Config config =
        ConfigFactory.parseString(
                extra
                    + "\npekko.persistence.cassandra.journal.keyspace = "
                    + keyspace
                    + "\npekko.persistence.cassandra.journal.target-partition-size = "
                    + partitionSize
                    + "\n")
            .withFallback(TestCassandra.driverConfig())
            .withFallback(ConfigFactory.load())
            .resolve();
    ActorTestKit node = ActorTestKit.create(name, config);
    nodes.add(node);
    return node;
  }

  @AfterEach
  void stop() {
    nodes.forEach(ActorTestKit::shutdownTestKit);
  }

  /**
   * All rows of a write go to the partition of its last event, so a write across a partition
   * boundary leaves its first partition's fence below that partition's end: the read must look at
   * the next partition too, and the one after that when it has a fence. Three events per partition;
   * the writes are 1-2, 3-4 (into partition 1), 5, 6-7 (into partition 2).
   */
  @Test
  void findsTheHighestAcrossPartitions() {
    ActorTestKit writer = node("hi-parts-a", 3, "");
    PersistenceId id = PersistenceId.of("fenced", "parts");
    TestProbe<Long> replies = writer.createTestProbe();
    ActorRef<Command> entity = writer.spawn(FencedJournalIT.entity(id));
    entity.tell(new AddAll(2, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(2L);
    entity.tell(new AddAll(2, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(4L);
    entity.tell(new Add(1, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(5L);
    entity.tell(new AddAll(2, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(7L);
    assertThat(sequenceNumbers(id, 0)).containsExactly(1L, 2L);
    assertThat(sequenceNumbers(id, 1)).containsExactly(3L, 4L, 5L);
    assertThat(sequenceNumbers(id, 2)).containsExactly(6L, 7L);

    ActorTestKit successor = node("hi-parts-b", 3, "");
    assertThat(highest(successor, id)).isEqualTo(7L);
    TestProbe<Long> next = successor.createTestProbe();
    ActorRef<Command> again = successor.spawn(FencedJournalIT.entity(id));
    again.tell(new Read(next.getRef()));
    assertThat(next.receiveMessage(TIMEOUT)).isEqualTo(7L);
    again.tell(new Add(1, next.getRef()));
    assertThat(next.receiveMessage(TIMEOUT)).isEqualTo(8L);
    List<Long> all = new ArrayList<>();
    for (long partition = 0; partition <= 3; partition++) {
      all.addAll(sequenceNumbers(id, partition));
    }
    assertThat(all).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
  }

  /**
   * A write longer than a partition would leave its first partition empty (the two-partition read
   * relies on there being none): it is refused, nothing is stored, and the entity goes on after a
   * restart.
   */
  @Test
  void aWriteLongerThanAPartitionIsRefused() {
    ActorTestKit node = node("hi-long", 3, "");
    PersistenceId id = PersistenceId.of("fenced", "long");
    TestProbe<Long> replies = node.createTestProbe();
    ActorRef<Command> entity = node.spawn(FencedJournalIT.entity(id));
    entity.tell(new AddAll(4, replies.getRef()));
    node.createTestProbe().expectTerminated(entity, TIMEOUT);
    replies.expectNoMessage(Duration.ofMillis(200));
    assertThat(sequenceNumbers(id, 0)).isEmpty();
    assertThat(sequenceNumbers(id, 1)).isEmpty();

    ActorRef<Command> again = node.spawn(FencedJournalIT.entity(id));
    again.tell(new AddAll(3, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(3L);
  }

  /**
   * Events written before fencing was switched on (by the plugin's own journal) have no fence: the
   * plugin's read decides, and the first fenced write continues after them.
   */
  @Test
  void eventsWrittenBeforeFencingAreCounted() {
    ActorTestKit before = node("hi-legacy-a", 500_000, UNFENCED);
    PersistenceId id = PersistenceId.of("fenced", "legacy");
    TestProbe<Long> replies = before.createTestProbe();
    ActorRef<Command> entity = before.spawn(FencedJournalIT.entity(id));
    for (long n = 1; n <= 3; n++) {
      entity.tell(new Add(n, replies.getRef()));
      assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(n);
    }
    before.shutdownTestKit();

    ActorTestKit fenced = node("hi-legacy-b", 500_000, "");
    assertThat(highest(fenced, id)).isEqualTo(3L);
    TestProbe<Long> next = fenced.createTestProbe();
    ActorRef<Command> again = fenced.spawn(FencedJournalIT.entity(id));
    again.tell(new Add(4, next.getRef()));
    assertThat(next.receiveMessage(TIMEOUT)).isEqualTo(4L);
    assertThat(sequenceNumbers(id, 0)).containsExactly(1L, 2L, 3L, 4L);
  }

  /**
   * Deleted events (an erased entity) keep their partition's fence: the highest sequence number
   * stays, and the next event is written after it, not at 1.
   */
  @Test
  void theHighestOutlivesDeletedEvents() {
    ActorTestKit node = node("hi-deleted", 500_000, "");
    PersistenceId id = PersistenceId.of("fenced", "deleted");
    TestProbe<Long> replies = node.createTestProbe();
    ActorRef<Command> entity = node.spawn(FencedJournalIT.entity(id));
    entity.tell(new AddAll(5, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(5L);
    node.stop(entity);

    TestProbe<Object> journalReplies = node.createTestProbe();
    journal(node)
        .tell(
            new JournalProtocol.DeleteMessagesTo(
                id.id(), 5, Adapter.toClassic(journalReplies.getRef())),
            org.apache.pekko.actor.ActorRef.noSender());
    journalReplies.expectMessageClass(org.apache.pekko.persistence.DeleteMessagesSuccess.class);
    assertThat(sequenceNumbers(id, 0)).isEmpty();

    assertThat(highest(node, id)).isEqualTo(5L);
    // The new incarnation replays nothing (its count stays 0) and writes at 6.
    ActorRef<Command> again = node.spawn(FencedJournalIT.entity(id));
    again.tell(new Add(1, replies.getRef()));
    assertThat(replies.receiveMessage(TIMEOUT)).isEqualTo(1L);
    assertThat(sequenceNumbers(id, 0)).containsExactly(6L);
  }

  /** A new entity: nothing anywhere, highest 0. */
  @Test
  void aNewEntityHasNone() {
    ActorTestKit node = node("hi-new", 500_000, "");
    assertThat(highest(node, PersistenceId.of("fenced", "never"))).isZero();
  }

  /** What recovery asks first: the journal's answer to a replay of everything. */
  private static long highest(ActorTestKit node, PersistenceId id) {
    TestProbe<Object> replies = node.createTestProbe();
    journal(node)
        .tell(
            new JournalProtocol.ReplayMessages(
                1, Long.MAX_VALUE, Long.MAX_VALUE, id.id(), Adapter.toClassic(replies.getRef())),
            org.apache.pekko.actor.ActorRef.noSender());
    while (true) {
      Object reply = replies.receiveMessage(TIMEOUT);
      if (reply instanceof JournalProtocol.RecoverySuccess success) {
        return success.highestSequenceNr();
      }
      assertThat(reply).isInstanceOf(JournalProtocol.ReplayedMessage.class);
    }
  }

  private static org.apache.pekko.actor.ActorRef journal(ActorTestKit node) {
    return Persistence.get(Adapter.toClassic(node.system())).journalFor("", ConfigFactory.empty());
  }

  private List<Long> sequenceNumbers(PersistenceId id, long partition) {
    try (CqlSession cql =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      return cql
          .execute(
              "SELECT sequence_nr FROM "
                  + keyspace
                  + ".messages WHERE persistence_id = ? AND partition_nr = ?",
              id.id(),
              partition)
          .all()
          .stream()
          .filter(r -> !r.isNull("sequence_nr"))
          .map(r -> r.getLong("sequence_nr"))
          .toList();
    }
  }
}
