package io.starfish.persistence.internal;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.japi.pf.ReceiveBuilder;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.cassandra.journal.CassandraJournal;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.PartialFunction;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.jdk.javaapi.OptionConverters;
import scala.runtime.BoxedUnit;
import scala.util.Failure;
import scala.util.Success;
import scala.util.Try;

/**
 * pekko-persistence-cassandra's journal with fenced writes: an entity's events are appended only if
 * the journal's last sequence number of that entity is the one the writer's state was built on. A
 * superseded incarnation (a node that was paused, cut off or downed while its entities were
 * restarted elsewhere) can therefore never append next to its successor's events, whatever its
 * clock, its cluster view or the writes still queued in its driver.
 *
 * <p>How: the {@code messages} table gets a static column, {@code starfish_fence}, the highest
 * sequence number written to the partition. Each write is one conditional (lightweight transaction,
 * Paxos) batch on the entity's partition: the event rows plus {@code SET starfish_fence = last IF
 * starfish_fence = first - 1}. Cassandra checks and applies it atomically, so of two writers that
 * both read sequence number n, exactly one appends n + 1. The loser's write is rejected (nothing
 * stored); Pekko then fails the entity, which restarts, recovers the winner's events and goes on
 * from there. A write that gets no answer (a timeout, its Cassandra coordinator crashed) is settled
 * by a serial read ({@link UnansweredWrites}); one whose outcome stays unknown fails the whole
 * request, as Pekko's journal contract asks.
 *
 * <p>Partitions: pekko-persistence-cassandra starts a new partition every {@code
 * target-partition-size} events. The first write into a new partition checks the previous
 * partition's fence with a read (it must be exactly the writer's last sequence number) and then
 * conditions on the new partition having no fence yet; between two writers with the same state, the
 * conditional write decides, and a writer with an older state fails the read check. Data written
 * before fencing was switched on has no fence: the first fenced write to such a partition is
 * conditioned on the fence being absent (an upgrade takes place with the cluster stopped or, in a
 * rolling upgrade, accepts that window).
 *
 * <p>Replay is the plugin's own; it ignores the new column. The highest sequence number, which
 * every recovery reads first, comes from the fence ({@link FenceHighest}: one query instead of the
 * plugin's four), except with events-by-tag on (the plugin's read then also prepares the tag
 * recovery) and for partitions written before fencing (the plugin's read). Tagged events: with
 * events-by-tag on, the tags go into the row and, once the write is applied, to the plugin's tag
 * writers ({@link TagHandOff}); recovery's tag repair is the plugin's own. With it off, tags still
 * go into the row and nowhere else.
 */
public final class FencedCassandraJournal extends CassandraJournal {

  private static final Logger log = LoggerFactory.getLogger(FencedCassandraJournal.class);

  /** The static column that holds a partition's highest written sequence number. */
  public static final String FENCE_COLUMN = "starfish_fence";

  private static final String SHARED_CONFIG_PATH = "pekko.persistence.cassandra";

  /**
   * The persistence ids of Pekko Cluster Sharding's event-sourced remember-entities stores: {@code
   * /sharding/<type>Coordinator} (the shards to start) and {@code /sharding/<type>Shard/<id>} (each
   * shard's entities to start).
   */
  static final String SHARDING_STORES = "/sharding/";

  /** How long a recovery waits for the entity's write still in flight (see below). */
  static final java.time.Duration RECOVERY_WAITS_FOR_WRITE = java.time.Duration.ofSeconds(10);

  /**
   * The serial read that settles a write without an answer may have to finish a Paxos round first;
   * it gets more than the write's own timeout (2 s), whatever that is set to.
   */
  private static final java.time.Duration SETTLE_READ_TIMEOUT = java.time.Duration.ofSeconds(5);

  private final CassandraSession session;
  private final Serialization serialization;
  private final String table;
  private final String allPersistenceIdsTable;
  private final boolean supportAllPersistenceIds;

  /** Null with the plugin's support-deletes off. */
  private final String metadataTable;

  private final FenceHighest fenceHighest;

  /**
   * With events-by-tag on, the plugin's highest-sequence-number read also sets up tag recovery; and
   * starfish.persistence.highest-from-fence may be off.
   */
  private final boolean pluginReadsHighest;

  /**
   * Off (not the default): Pekko Cluster Sharding's own remember-entities stores (persistence ids
   * under {@link #SHARDING_STORES}) are written and their highest read the plugin's way, without
   * the fence's Paxos round.
   */
  private final boolean fenceShardingStores;

  private final long targetPartitionSize;
  private final TagHandOff tags;
  private final String writeProfile;
  private final Map<String, CompletableFuture<?>> writesInProgress = new ConcurrentHashMap<>();
  private volatile CompletionStage<FenceStatements.Prepared> statements;
  private final UnansweredWrites unanswered;

  public FencedCassandraJournal(Config config, String configPath) {
    super(config, configPath);
    // The plugin registered its session (with its table creation) in its constructor; this is
    // the same, cached session.
    this.session = CassandraSessionRegistry.get(context().system()).sessionFor(SHARED_CONFIG_PATH);
    this.serialization = SerializationExtension.get(context().system());
    String keyspace = config.getString("keyspace");
    this.table = keyspace + "." + config.getString("table");
    this.allPersistenceIdsTable = keyspace + "." + config.getString("all-persistence-ids-table");
    this.supportAllPersistenceIds = config.getBoolean("support-all-persistence-ids");
    this.targetPartitionSize = config.getLong("target-partition-size");
    this.metadataTable =
        config.getBoolean("support-deletes")
            ? keyspace + "." + config.getString("metadata-table")
            : null;
    Config shared = context().system().settings().config().getConfig(SHARED_CONFIG_PATH);
    this.fenceHighest = new FenceHighest(targetPartitionSize, shared.getString("read-profile"));
    this.pluginReadsHighest =
        context().child("tagWrites").isDefined()
            || !context()
                .system()
                .settings()
                .config()
                .getBoolean("starfish.persistence.highest-from-fence");
    // The plugin creates its tag writers (a child named "tagWrites") only with events-by-tag on.
    this.tags =
        new TagHandOff(
            OptionConverters.toJava(context().child("tagWrites")),
            shared.getString("events-by-tag.bucket-size"),
            shared.getDuration("events-by-tag.tag-write-timeout"));
    this.fenceShardingStores =
        context()
            .system()
            .settings()
            .config()
            .getBoolean("starfish.persistence.fence-sharding-stores");
    this.writeProfile =
        context().system().settings().config().getString(SHARED_CONFIG_PATH + ".write-profile");
    this.unanswered = new UnansweredWrites(writeProfile);
  }

  /**
   * Thrown (as a rejection) when another writer appended first: nothing of this write is stored.
   */
  public static final class FencedWriteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FencedWriteException(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    List<AtomicWrite> writes = CollectionConverters.asJava(messages);
    if (writes.isEmpty()) {
      return FutureConverters.asScala(
          CompletableFuture.completedFuture(
              CollectionConverters.asScala(List.<Try<BoxedUnit>>of()).toList()));
    }
    String persistenceId = writes.get(0).persistenceId();
    if (unfenced(persistenceId)) {
      return super.asyncWriteMessages(messages);
    }
    CompletableFuture<Seq<Try<BoxedUnit>>> result;
    try {
      List<PersistentRepr> events = new ArrayList<>();
      for (AtomicWrite write : writes) {
        if (!write.persistenceId().equals(persistenceId)) {
          throw new IllegalArgumentException("one write request must be for one persistence id");
        }
        events.addAll(CollectionConverters.asJava(write.payload()));
      }
      if (events.size() > targetPartitionSize) {
        // Its rows would all go to the partition of its last event and leave the partition of its
        // first one empty; no write leaving an empty partition is what lets the highest sequence
        // number be read from two partitions (FenceHighest), and the plugin's replay stop at none.
        throw new IllegalArgumentException(
            "a write of "
                + events.size()
                + " events is longer than the journal's target-partition-size ("
                + targetPartitionSize
                + ")");
      }
      result =
          statements()
              .thenCompose(s -> write(s, persistenceId, events))
              .thenApply(outcome -> outcomes(writes.size(), outcome))
              .toCompletableFuture();
    } catch (RuntimeException e) {
      // Could not even be built (e.g. an event that does not serialize): rejected, nothing stored.
      result = CompletableFuture.completedFuture(outcomes(writes.size(), e));
    }
    CompletableFuture<Seq<Try<BoxedUnit>>> done = result;
    writesInProgress.put(persistenceId, done);
    done.whenComplete((r, e) -> writesInProgress.remove(persistenceId, done));
    return FutureConverters.asScala(done);
  }

  /**
   * Recovery asks this first: it should not overtake this entity's write still in flight, which
   * would make the new incarnation miss an event that lands a moment later. It waits for that
   * write, but only so long ({@link #RECOVERY_WAITS_FOR_WRITE}): the wait is an optimisation, not
   * what keeps the journal consistent. Should that write land after the recovery read the highest
   * sequence number, the fence refuses the new incarnation's first write (it was built on an older
   * sequence number) and the entity recovers again, this time with the late event. Without the
   * bound, a write whose driver call never completes would keep the entity from ever recovering.
   */
  @Override
  public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    if (unfenced(persistenceId)) {
      // Its rows carry no fence (or a stale one, from before this was off): the plugin's read.
      return super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
    }
    CompletableFuture<?> inProgress = writesInProgress.get(persistenceId);
    if (inProgress == null) {
      return readHighest(persistenceId, fromSequenceNr);
    }
    long waitStarted = System.nanoTime();
    // The plugin's own method reads sender() (the recovering entity, which it registers with the
    // tag writers): it must run on the journal's thread, with that sender, not in a callback.
    ActorRef recovering = sender();
    ActorRef journal = self();
    CompletableFuture<Object> highest = new CompletableFuture<>();
    inProgress
        .handle((r, e) -> Boolean.TRUE)
        .completeOnTimeout(
            Boolean.FALSE, RECOVERY_WAITS_FOR_WRITE.toMillis(), TimeUnit.MILLISECONDS)
        .thenAccept(
            settled -> {
              if (!settled) {
                log.warn(
                    "recovery of {} waited {} ms for its earlier write, still without an"
                        + " answer; recovering anyway (the fence refuses a write built on a"
                        + " sequence number that write makes stale)",
                    persistenceId,
                    (System.nanoTime() - waitStarted) / 1_000_000);
              }
              journal.tell(
                  new DeferredReadHighest(persistenceId, fromSequenceNr, highest, false),
                  recovering);
            });
    return FutureConverters.asScala(highest);
  }

  /**
   * Whether {@code persistenceId} is written without the fence: sharding's remember-entities
   * stores, when starfish.persistence.fence-sharding-stores is off. Their events only say which
   * shards and entities to start again after a move; a second writer (a paused node's stale shard)
   * can then overwrite such a record, and an entity whose record is lost starts on its next message
   * instead of right after a failover. Entity events are always fenced.
   */
  private boolean unfenced(String persistenceId) {
    return !fenceShardingStores && persistenceId.startsWith(SHARDING_STORES);
  }

  /** From the fence where it can answer, else the plugin's read (on the journal's thread). */
  private Future<Object> readHighest(String persistenceId, long fromSequenceNr) {
    if (pluginReadsHighest) {
      return super.asyncReadHighestSequenceNr(persistenceId, fromSequenceNr);
    }
    ActorRef recovering = sender();
    ActorRef journal = self();
    CompletableFuture<Object> highest = new CompletableFuture<>();
    statements()
        .thenCompose(s -> fenceHighest.read(s, persistenceId, fromSequenceNr))
        .whenComplete(
            (fenced, failure) -> {
              if (failure != null) {
                highest.completeExceptionally(failure);
              } else if (fenced.isPresent()) {
                highest.complete(fenced.get());
              } else {
                log.debug(
                    "{} has events from before fencing: the plugin reads its highest",
                    persistenceId);
                journal.tell(
                    new DeferredReadHighest(persistenceId, fromSequenceNr, highest, true),
                    recovering);
              }
            });
    return FutureConverters.asScala(highest);
  }

  /**
   * asyncReadHighestSequenceNr, run again on the journal's thread: once the entity's write in
   * flight settled, or (byPlugin) with the plugin's own read.
   */
  private record DeferredReadHighest(
      String persistenceId,
      long fromSequenceNr,
      CompletableFuture<Object> highest,
      boolean byPlugin) {}

  @Override
  public PartialFunction<Object, BoxedUnit> receivePluginInternal() {
    PartialFunction<Object, BoxedUnit> deferred =
        ReceiveBuilder.create()
            .match(
                DeferredReadHighest.class,
                read ->
                    FutureConverters.asJava(
                            read.byPlugin()
                                ? super.asyncReadHighestSequenceNr(
                                    read.persistenceId(), read.fromSequenceNr())
                                : readHighest(read.persistenceId(), read.fromSequenceNr()))
                        .whenComplete(
                            (value, failure) -> {
                              if (failure != null) {
                                read.highest().completeExceptionally(failure);
                              } else {
                                read.highest().complete(value);
                              }
                            }))
            .build()
            .onMessage();
    return deferred.orElse(super.receivePluginInternal());
  }

  private static Seq<Try<BoxedUnit>> outcomes(int count, RuntimeException rejection) {
    List<Try<BoxedUnit>> outcomes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      outcomes.add(rejection == null ? new Success<>(BoxedUnit.UNIT) : new Failure<>(rejection));
    }
    return CollectionConverters.asScala(outcomes).toList();
  }

  private long partitionNr(long sequenceNr) {
    return (sequenceNr - 1) / targetPartitionSize;
  }

  /**
   * Completes with null when the events are stored, with a {@link FencedWriteException} when the
   * fence refused them (nothing stored), and fails when the outcome is unknown.
   */
  private CompletionStage<RuntimeException> write(
      FenceStatements.Prepared s, String persistenceId, List<PersistentRepr> events) {
    long first = events.get(0).sequenceNr();
    long last = events.get(events.size() - 1).sequenceNr();
    String writer = events.get(events.size() - 1).writerUuid();
    long previous = first - 1;
    long partition = partitionNr(last);
    BatchStatementBuilder rows = BatchStatement.builder(BatchType.LOGGED);
    List<CassandraJournal.Serialized> stored = new ArrayList<>(events.size());
    for (PersistentRepr event : events) {
      CassandraJournal.Serialized row = serialize(persistenceId, event);
      stored.add(row);
      rows.addStatement(insert(s, partition, row));
    }
    boolean newPartition = previous == 0 || partitionNr(previous) != partition;
    CompletionStage<RuntimeException> checked =
        newPartition && previous > 0
            ? previousPartitionCheck(s, persistenceId, previous)
            : CompletableFuture.completedFuture(null);
    return checked.thenCompose(
        refused -> {
          if (refused != null) {
            return CompletableFuture.completedFuture(refused);
          }
          boolean ifAbsent = newPartition;
          return conditionalWrite(
                  s, rows, persistenceId, partition, previous, last, writer, ifAbsent)
              .thenCompose(
                  current -> {
                    if (current == null) {
                      maybeRecordPersistenceId(s, persistenceId, first);
                      return tags.applied(stored).thenApply(x -> (RuntimeException) null);
                    }
                    if (current.isEmpty() && !ifAbsent) {
                      // A partition written before fencing was on: its first fenced write.
                      return conditionalWrite(
                              s, rows, persistenceId, partition, previous, last, writer, true)
                          .thenCompose(
                              again ->
                                  again == null
                                      ? tags.applied(stored).thenApply(x -> (RuntimeException) null)
                                      : CompletableFuture.completedFuture(
                                          refusal(persistenceId, first, again)));
                    }
                    return CompletableFuture.completedFuture(
                        refusal(persistenceId, first, current));
                  });
        });
  }

  private FencedWriteException refusal(String persistenceId, long first, Optional<Long> current) {
    String message =
        "write of "
            + persistenceId
            + " from sequence number "
            + first
            + " refused: the journal's last sequence number is "
            + current.map(String::valueOf).orElse("unknown")
            + ", not "
            + (first - 1)
            + " (another incarnation of this entity wrote meanwhile)";
    log.warn(message);
    return new FencedWriteException(message);
  }

  /**
   * Runs the rows with the fence condition; completes with null when applied, else with the fence
   * value found (empty when there is none).
   */
  private CompletionStage<Optional<Long>> conditionalWrite(
      FenceStatements.Prepared s,
      BatchStatementBuilder rows,
      String persistenceId,
      long partition,
      long previous,
      long last,
      String writer,
      boolean ifAbsent) {
    BatchStatementBuilder batch = new BatchStatementBuilder(rows.build());
    batch.addStatement(
        ifAbsent
            ? s.fenceIfAbsent().bind(last, persistenceId, partition)
            : s.fenceIfEqual().bind(last, persistenceId, partition, previous));
    BatchStatement statement =
        batch.build().setExecutionProfileName(writeProfile).setIdempotent(false);
    return s.cql()
        .executeAsync(statement)
        .thenApply(UnansweredWrites::fenceFound)
        .exceptionallyCompose(
            failure ->
                unanswered.settle(s, statement, persistenceId, partition, last, writer, failure));
  }

  /** Before the first write into a new partition: the previous one must end at our state. */
  private CompletionStage<RuntimeException> previousPartitionCheck(
      FenceStatements.Prepared s, String persistenceId, long previous) {
    return s.cql()
        .executeAsync(
            s.readFence()
                .bind(persistenceId, partitionNr(previous))
                .setExecutionProfileName(writeProfile)
                .setIdempotent(true))
        .thenApply(
            rs -> {
              Row row = rs.one();
              if (row == null || row.isNull(FENCE_COLUMN)) {
                return null; // written before fencing was on
              }
              long fence = row.getLong(FENCE_COLUMN);
              return fence == previous
                  ? null
                  : refusal(persistenceId, previous + 1, Optional.of(fence));
            });
  }

  private void maybeRecordPersistenceId(
      FenceStatements.Prepared s, String persistenceId, long first) {
    if (supportAllPersistenceIds && first == 1) {
      s.cql()
          .executeAsync(s.insertPersistenceId().bind(persistenceId))
          .whenComplete(
              (rs, e) -> {
                if (e != null) {
                  log.warn("could not record {} in {}", persistenceId, allPersistenceIdsTable, e);
                }
              });
    }
  }

  /**
   * One event as the plugin stores it: serialized payload, tags (from a Tagged payload) and a time
   * UUID with its bucket, shared by the messages row and, once applied, the tag rows.
   */
  private CassandraJournal.Serialized serialize(String persistenceId, PersistentRepr event) {
    Object payload = event.payload();
    Set<String> eventTags = Set.of();
    if (payload instanceof Tagged tagged) {
      eventTags = CollectionConverters.asJava(tagged.tags());
      // With events-by-tag off the tags still go into the row (nothing reads them until it is
      // turned on; then each entity's next recovery writes its missing tag rows), but no further.
      payload = tagged.payload();
    }
    if (event.metadata().isDefined()) {
      throw new IllegalArgumentException("the fenced journal does not store event metadata");
    }
    Serializer serializer = serialization.findSerializerFor(payload);
    String manifest = Serializers.manifestFor(serializer, payload);
    byte[] bytes = serialization.serialize(payload).get();
    return tags.serialized(
        persistenceId,
        event,
        ByteBuffer.wrap(bytes),
        eventTags,
        manifest,
        serializer.identifier(),
        Uuids.timeBased());
  }

  private com.datastax.oss.driver.api.core.cql.BoundStatement insert(
      FenceStatements.Prepared s, long partition, CassandraJournal.Serialized row) {
    return s.insert()
        .bind()
        .setString("persistence_id", row.persistenceId())
        .setLong("partition_nr", partition)
        .setLong("sequence_nr", row.sequenceNr())
        .setUuid("timestamp", row.timeUuid())
        .setString("timebucket", Long.toString(row.timeBucket().key()))
        .setString("writer_uuid", row.writerUuid())
        .setInt("ser_id", row.serId())
        .setString("ser_manifest", row.serManifest())
        .setString("event_manifest", row.eventAdapterManifest())
        .setByteBuffer("event", row.serialized())
        .setSet("tags", CollectionConverters.asJava(row.tags()), String.class);
  }

  /** Adds the fence column if missing (idempotent), then prepares the statements, once. */
  private CompletionStage<FenceStatements.Prepared> statements() {
    CompletionStage<FenceStatements.Prepared> current = statements;
    if (current != null) {
      return current;
    }
    synchronized (this) {
      if (statements == null) {
        CompletionStage<FenceStatements.Prepared> prepared =
            session
                .underlying()
                .thenCompose(
                    cql ->
                        FenceStatements.ensureFenceColumn(cql, table)
                            .thenCompose(
                                x ->
                                    FenceStatements.prepare(
                                        cql,
                                        table,
                                        supportAllPersistenceIds ? allPersistenceIdsTable : null,
                                        metadataTable)));
        // A failure (Cassandra down) is not cached: the next write tries again.
        prepared.whenComplete(
            (s, e) -> {
              if (e != null) {
                synchronized (this) {
                  statements = null;
                }
              }
            });
        statements = prepared;
      }
      return statements;
    }
  }
}
