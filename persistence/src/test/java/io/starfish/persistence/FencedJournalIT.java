package io.starfish.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.TestCassandra;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Single writer at the storage: two incarnations of one entity in two actor systems (as after a
 * paused or cut-off node's entities were restarted elsewhere) both believe they may append. With
 * the fenced journal, the one whose state is stale is refused (nothing stored, the entity stops),
 * the journal keeps exactly one row per sequence number, and a new incarnation recovers and
 * continues.
 */
@ExtendWith(TestCassandra.class)
class FencedJournalIT {

  interface Command {}

  /** Add {@code amount}; the reply is the sequence number the event was stored at. */
  record Add(long amount, ActorRef<Long> replyTo) implements Command {}

  /** The reply is the entity's sequence number; answered once it has recovered. */
  record Read(ActorRef<Long> replyTo) implements Command {}

  /** Add 1, {@code count} times, in one atomic write; the reply is the last sequence number. */
  record AddAll(int count, ActorRef<Long> replyTo) implements Command {}

  record Added(long amount) implements CborSerializable {}

  /** The entity's state: how many events it applied (its sequence number) and their sum. */
  record Total(long events, long sum) {}

  static Behavior<Command> entity(PersistenceId id) {
    return entity(id, java.util.Set.of());
  }

  /** The entity, each of its events tagged with {@code tags}. */
  static Behavior<Command> entity(PersistenceId id, java.util.Set<String> tags) {
    return new EventSourcedBehavior<Command, Added, Total>(id) {
      @Override
      public java.util.Set<String> tagsFor(Added event) {
        return tags;
      }

      @Override
      public Total emptyState() {
        return new Total(0, 0);
      }

      @Override
      public CommandHandler<Command, Added, Total> commandHandler() {
        return newCommandHandlerBuilder()
            .forAnyState()
            .onCommand(
                Add.class,
                (state, add) ->
                    Effect()
                        .persist(new Added(add.amount()))
                        .thenReply(add.replyTo(), Total::events))
            .onCommand(
                AddAll.class,
                (state, add) ->
                    Effect()
                        .persist(java.util.Collections.nCopies(add.count(), new Added(1)))
                        .thenReply(add.replyTo(), Total::events))
            .onCommand(Read.class, (state, read) -> Effect().reply(read.replyTo(), state.events()))
            .build();
      }

      @Override
      public EventHandler<Total, Added> eventHandler() {
        return newEventHandlerBuilder()
            .forAnyState()
            .onEvent(
                Added.class,
                (state, added) -> new Total(state.events() + 1, state.sum() + added.amount()))
            .build();
      }
    };
  }

  private final String keyspace =
      "fence_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private ActorTestKit nodeA;
  private ActorTestKit nodeB;

  private Config config() {
    return config(500_000);
  }

  private Config config(int partitionSize) {
    return config(partitionSize, "");
  }

  private Config config(int partitionSize, String extra) {
    return ConfigFactory.parseString(
            extra
                + "\n"
                + "pekko.persistence.cassandra.journal.keyspace = "
                + keyspace
                + "\npekko.persistence.cassandra.journal.target-partition-size = "
                + partitionSize
                + "\n")
        .withFallback(TestCassandra.driverConfig())
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  @AfterEach
  void stop() {
    if (nodeA != null) {
      nodeA.shutdownTestKit();
    }
    if (nodeB != null) {
      nodeB.shutdownTestKit();
    }
  }

  @Test
  void aStaleIncarnationIsRefusedAndTheJournalKeepsOneRowPerSequenceNumber() throws Exception {
    nodeA = ActorTestKit.create("fence-a", config());
    nodeB = ActorTestKit.create("fence-b", config());
    PersistenceId id = PersistenceId.of("fenced", "e1");
    TestProbe<Long> repliesA = nodeA.createTestProbe();
    TestProbe<Long> repliesB = nodeB.createTestProbe();
    Duration timeout = Duration.ofSeconds(20);

    ActorRef<Command> onA = nodeA.spawn(entity(id));
    onA.tell(new Add(1, repliesA.getRef()));
    assertThat(repliesA.receiveMessage(timeout)).isEqualTo(1L);

    // B's incarnation recovers event 1, then A (not knowing of B) appends event 2.
    ActorRef<Command> onB = nodeB.spawn(entity(id));
    onB.tell(new Read(repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(1L);
    onA.tell(new Add(10, repliesA.getRef()));
    assertThat(repliesA.receiveMessage(timeout)).isEqualTo(2L);

    // B's state stops at event 1: its append of "event 2" must be refused, and B stops.
    TestProbe<Void> deaths = nodeB.createTestProbe();
    onB.tell(new Add(100, repliesB.getRef()));
    deaths.expectTerminated(onB, timeout);
    repliesB.expectNoMessage(Duration.ofMillis(500));

    // The journal holds events 1 and 2 once each, both from A's incarnation.
    List<Row> rows = rows(id);
    assertThat(rows).extracting(r -> r.getLong("sequence_nr")).containsExactly(1L, 2L);
    assertThat(rows.get(0).getString("writer_uuid"))
        .isEqualTo(rows.get(1).getString("writer_uuid"));

    // A new incarnation on B recovers both events and appends event 3.
    ActorRef<Command> again = nodeB.spawn(entity(id));
    again.tell(new Add(1000, repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(3L);
    assertThat(rows(id)).extracting(r -> r.getLong("sequence_nr")).containsExactly(1L, 2L, 3L);
  }

  /**
   * With starfish.persistence.fence-sharding-stores = off, Pekko Cluster Sharding's
   * remember-entities stores (persistence ids /sharding/...) are written without the fence: no
   * fence column in their rows, recovered the plugin's way; an entity's events next to them stay
   * fenced. By default the stores' rows carry the fence like any entity's.
   */
  @Test
  void shardingStoresAreWrittenWithoutTheFenceOnlyWhenSwitchedOff() throws Exception {
    nodeA =
        ActorTestKit.create(
            "fence-stores-off",
            ConfigFactory.parseString("starfish.persistence.fence-sharding-stores = off")
                .withFallback(config()));
    PersistenceId store = PersistenceId.ofUniqueId("/sharding/bankShard/7");
    PersistenceId entity = PersistenceId.of("fenced", "next-to-the-store");
    TestProbe<Long> replies = nodeA.createTestProbe();
    Duration timeout = Duration.ofSeconds(20);
    ActorRef<Command> storeActor = nodeA.spawn(entity(store));
    storeActor.tell(new Add(1, replies.getRef()));
    storeActor.tell(new Add(2, replies.getRef()));
    assertThat(replies.receiveMessage(timeout)).isEqualTo(1L);
    assertThat(replies.receiveMessage(timeout)).isEqualTo(2L);
    nodeA.spawn(entity(entity)).tell(new Add(5, replies.getRef()));
    assertThat(replies.receiveMessage(timeout)).isEqualTo(1L);
    assertThat(fence(store)).as("fence of the sharding store's partition").isNull();
    assertThat(fence(entity)).as("fence of the entity's partition").isEqualTo(1L);

    // A new incarnation of the store recovers both events and goes on.
    nodeA.stop(storeActor, timeout);
    ActorRef<Command> again = nodeA.spawn(entity(store));
    again.tell(new Add(3, replies.getRef()));
    assertThat(replies.receiveMessage(timeout)).isEqualTo(3L);
    assertThat(rows(store)).extracting(r -> r.getLong("sequence_nr")).containsExactly(1L, 2L, 3L);
    nodeA.shutdownTestKit();

    nodeA = ActorTestKit.create("fence-stores-default", config());
    TestProbe<Long> repliesByDefault = nodeA.createTestProbe();
    PersistenceId fencedStore = PersistenceId.ofUniqueId("/sharding/bankCoordinator");
    nodeA.spawn(entity(fencedStore)).tell(new Add(1, repliesByDefault.getRef()));
    assertThat(repliesByDefault.receiveMessage(timeout)).isEqualTo(1L);
    assertThat(fence(fencedStore)).as("fence of the store's partition, fencing it").isEqualTo(1L);
  }

  /** The fence column of {@code id}'s first partition (null when it has none). */
  private Long fence(PersistenceId id) {
    try (CqlSession cql = session()) {
      Row row =
          cql.execute(
                  "SELECT starfish_fence FROM "
                      + keyspace
                      + ".messages WHERE persistence_id = ? AND partition_nr = 0 LIMIT 1",
                  id.id())
              .one();
      assertThat(row).as("a row of %s", id.id()).isNotNull();
      return row.isNull(0) ? null : row.getLong(0);
    }
  }

  /**
   * The plugin's documented {@code support-all-persistence-ids = off} (no all_persistence_ids
   * table, one insert less per new entity): the fenced journal writes and recovers as before. It
   * used to prepare its insert into that table regardless, which failed every write (found by the
   * activation benchmark, 2026-12-03: no shard coordinator could start).
   */
  @Test
  void writesWithoutTheAllPersistenceIdsTable() throws Exception {
    nodeA =
        ActorTestKit.create(
            "fence-no-ids",
            config(
                500_000, "pekko.persistence.cassandra.journal.support-all-persistence-ids = off"));
    PersistenceId id = PersistenceId.of("fenced", "no-ids");
    TestProbe<Long> replies = nodeA.createTestProbe();
    Duration timeout = Duration.ofSeconds(20);
    ActorRef<Command> entity = nodeA.spawn(entity(id));
    entity.tell(new Add(1, replies.getRef()));
    assertThat(replies.receiveMessage(timeout)).isEqualTo(1L);
    entity.tell(new Add(2, replies.getRef()));
    assertThat(replies.receiveMessage(timeout)).isEqualTo(2L);
    assertThat(rows(id)).extracting(r -> r.getLong("sequence_nr")).containsExactly(1L, 2L);
    try (CqlSession cql = session()) {
      assertThat(
              cql.getMetadata()
                  .getKeyspace(keyspace)
                  .flatMap(k -> k.getTable("all_persistence_ids")))
          .isEmpty();
    }
  }

  /**
   * With tagging on, a refused write of a stale incarnation never reaches the tag table: readers by
   * tag (type streams, views) see each stored event once and never the one that was refused.
   */
  @Test
  void aRefusedTaggedWriteNeverReachesTheTagTable() throws Exception {
    String tagging = "pekko.persistence.cassandra.events-by-tag.enabled = on";
    nodeA = ActorTestKit.create("fence-tag-a", config(500_000, tagging));
    nodeB = ActorTestKit.create("fence-tag-b", config(500_000, tagging));
    PersistenceId id = PersistenceId.of("fenced", "t1");
    java.util.Set<String> tag = java.util.Set.of("fenced-" + keyspace);
    TestProbe<Long> repliesA = nodeA.createTestProbe();
    TestProbe<Long> repliesB = nodeB.createTestProbe();
    Duration timeout = Duration.ofSeconds(20);

    ActorRef<Command> onA = nodeA.spawn(entity(id, tag));
    onA.tell(new Add(1, repliesA.getRef()));
    assertThat(repliesA.receiveMessage(timeout)).isEqualTo(1L);
    ActorRef<Command> onB = nodeB.spawn(entity(id, tag));
    onB.tell(new Read(repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(1L);
    onA.tell(new Add(10, repliesA.getRef()));
    assertThat(repliesA.receiveMessage(timeout)).isEqualTo(2L);

    // B's "event 2" is refused by the fence: B stops, and its event must not be tagged.
    TestProbe<Void> deaths = nodeB.createTestProbe();
    onB.tell(new Add(100, repliesB.getRef()));
    deaths.expectTerminated(onB, timeout);

    ActorRef<Command> again = nodeB.spawn(entity(id, tag));
    again.tell(new Add(1000, repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(3L);

    // A persist is answered once its tag rows are written: the table holds exactly events 1-3,
    // each at the time UUID of its messages row (none from B's refused write).
    List<Row> messages = rows(id);
    List<Row> tagged = tagRows(tag.iterator().next());
    assertThat(tagged)
        .extracting(r -> r.getString("persistence_id") + "#" + r.getLong("sequence_nr"))
        .containsExactlyInAnyOrder(id.id() + "#1", id.id() + "#2", id.id() + "#3");
    assertThat(tagged)
        .extracting(r -> r.getUuid("timestamp"))
        .containsExactlyInAnyOrderElementsOf(
            messages.stream().map(r -> r.getUuid("timestamp")).toList());
  }

  @Test
  void theFenceHoldsAcrossJournalPartitions() throws Exception {
    // Three events per partition: event 4 opens partition 1, event 7 partition 2.
    nodeA = ActorTestKit.create("fence-a", config(3));
    nodeB = ActorTestKit.create("fence-b", config(3));
    PersistenceId id = PersistenceId.of("fenced", "e2");
    TestProbe<Long> repliesA = nodeA.createTestProbe();
    TestProbe<Long> repliesB = nodeB.createTestProbe();
    TestProbe<Void> deaths = nodeB.createTestProbe();
    Duration timeout = Duration.ofSeconds(20);

    ActorRef<Command> onA = nodeA.spawn(entity(id));
    for (long n = 1; n <= 3; n++) {
      onA.tell(new Add(n, repliesA.getRef()));
      assertThat(repliesA.receiveMessage(timeout)).isEqualTo(n);
    }
    // B recovers up to event 3, the end of partition 0; A then opens partition 1 with event 4.
    ActorRef<Command> onB = nodeB.spawn(entity(id));
    onB.tell(new Read(repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(3L);
    onA.tell(new Add(4, repliesA.getRef()));
    assertThat(repliesA.receiveMessage(timeout)).isEqualTo(4L);

    // B's "event 4" would open partition 1 too: refused.
    onB.tell(new Add(40, repliesB.getRef()));
    deaths.expectTerminated(onB, timeout);

    // A stale writer one partition behind: recovered at 4, while A goes on to 7 (partition 2).
    ActorRef<Command> behind = nodeB.spawn(entity(id));
    behind.tell(new Read(repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(4L);
    for (long n = 5; n <= 7; n++) {
      onA.tell(new Add(n, repliesA.getRef()));
      assertThat(repliesA.receiveMessage(timeout)).isEqualTo(n);
    }
    behind.tell(new Add(50, repliesB.getRef()));
    deaths.expectTerminated(behind, timeout);

    // Every sequence number once, all from A; a new incarnation recovers all seven and goes on.
    List<Long> stored = new java.util.ArrayList<>();
    java.util.Set<String> writers = new java.util.HashSet<>();
    for (long partition = 0; partition <= 2; partition++) {
      for (Row row : rows(id, partition)) {
        stored.add(row.getLong("sequence_nr"));
        writers.add(row.getString("writer_uuid"));
      }
    }
    assertThat(stored).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(writers).hasSize(1);
    ActorRef<Command> again = nodeB.spawn(entity(id));
    again.tell(new Add(8, repliesB.getRef()));
    assertThat(repliesB.receiveMessage(timeout)).isEqualTo(8L);
  }

  /**
   * Every conditional write times out at the client (the write profile's timeout is 1 ms) while
   * Cassandra goes on and applies it, as when a Cassandra coordinator crashes or is slow: the
   * outcome is unknown to the journal. A serial read settles it: each write is acknowledged and
   * stored exactly once, in order. Without the settling, each of these writes fails.
   */
  @Test
  void aWriteWithoutAnAnswerIsSettledByASerialReadAndStoredOnce() throws Exception {
    Config hasty =
        ConfigFactory.parseString(
                "pekko.persistence.cassandra.write-profile = starfish-test-hasty\n"
                    + "datastax-java-driver.profiles.starfish-test-hasty.basic.request {\n"
                    + "  timeout = 1 ms\n"
                    + "  consistency = QUORUM\n"
                    + "}\n")
            .withFallback(config());
    nodeA = ActorTestKit.create("fence-hasty", hasty);
    PersistenceId id = PersistenceId.of("fenced", "e3");
    TestProbe<Long> replies = nodeA.createTestProbe();
    ActorRef<Command> entity = nodeA.spawn(entity(id));
    for (long n = 1; n <= 10; n++) {
      entity.tell(new Add(n, replies.getRef()));
      assertThat(replies.receiveMessage(Duration.ofSeconds(20))).isEqualTo(n);
    }
    assertThat(rows(id))
        .extracting(r -> r.getLong("sequence_nr"))
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
  }

  private List<Row> rows(PersistenceId id) {
    return rows(id, 0);
  }

  /** Every row of the tag table for {@code tag}, across its time buckets (a scan: tests only). */
  private List<Row> tagRows(String tag) {
    try (CqlSession cql =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      return cql.execute(
              "SELECT persistence_id, sequence_nr, timestamp FROM "
                  + keyspace
                  + ".tag_views WHERE tag_name = ? ALLOW FILTERING",
              tag)
          .all();
    }
  }

  private List<Row> rows(PersistenceId id, long partition) {
    try (CqlSession cql =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
            .withLocalDatacenter("datacenter1")
            .build()) {
      return cql.execute(
              "SELECT sequence_nr, writer_uuid, timestamp FROM "
                  + keyspace
                  + ".messages WHERE persistence_id = ? AND partition_nr = ?",
              id.id(),
              partition)
          .all();
    }
  }

  private static CqlSession session() {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress("127.0.0.1", TestCassandra.instance().cqlPort()))
        .withLocalDatacenter("datacenter1")
        .build();
  }
}
