package io.starfish.persistence.internal;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.cassandra.BucketSize;
import org.apache.pekko.persistence.cassandra.journal.CassandraJournal;
import org.apache.pekko.persistence.cassandra.journal.TagWriters;
import org.apache.pekko.persistence.cassandra.journal.TimeBucket;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Tagged events, for the fenced journal: pekko-persistence-cassandra keeps its events-by-tag table
 * ({@code tag_views}) with tag writer actors, which the stock journal tells about every write after
 * its insert succeeded. The fenced journal writes its rows itself, so it tells them the same way,
 * with the same values the rows got (the time UUID and its bucket must match, or a repair at
 * recovery would add a second tag row), and only once the fence proved the write applied: a refused
 * write told to them would put a phantom event into every stream of its tags.
 *
 * <p>The classes used here are the plugin's internal API ({@code TagWriters.BulkTagWrite}, {@code
 * CassandraJournal.Serialized}, {@code TimeBucket}), public in bytecode; pinned to 1.1.0 (see
 * docs/design/tagging-research.md). With events-by-tag off the plugin has no tag writers and this
 * does nothing.
 */
final class TagHandOff {

  private final Optional<ActorRef> tagWriters;
  private final BucketSize bucketSize;
  private final Duration timeout;

  TagHandOff(Optional<ActorRef> tagWriters, String bucketSize, Duration timeout) {
    this.tagWriters = tagWriters;
    this.bucketSize = BucketSize.fromString(bucketSize);
    this.timeout = timeout;
  }

  /** Whether the plugin runs tag writers (events-by-tag is on). */
  boolean enabled() {
    return tagWriters.isPresent();
  }

  /**
   * The time bucket (epoch milliseconds) of a row with this time UUID, as the plugin computes it.
   */
  long bucketOf(UUID timeUuid) {
    return TimeBucket.apply(timeUuid, bucketSize).key();
  }

  /** The plugin's view of one stored row. */
  CassandraJournal.Serialized serialized(
      String persistenceId,
      PersistentRepr event,
      ByteBuffer bytes,
      Set<String> tags,
      String serializerManifest,
      int serializerId,
      UUID timeUuid) {
    return new CassandraJournal.Serialized(
        persistenceId,
        event.sequenceNr(),
        bytes,
        CollectionConverters.asScala(tags).toSet(),
        event.manifest(),
        serializerManifest,
        serializerId,
        event.writerUuid(),
        scala.Option.empty(),
        timeUuid,
        TimeBucket.apply(timeUuid, bucketSize));
  }

  /**
   * Tells the tag writers about an applied write (its events in sequence order) and completes when
   * they have written the tag rows; fails after the plugin's tag-write-timeout, as the stock
   * journal's write does (the events are stored; the entity's next recovery repairs the tag rows).
   */
  CompletionStage<Void> applied(List<CassandraJournal.Serialized> events) {
    if (tagWriters.isEmpty() || events.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, List<CassandraJournal.Serialized>> byTag = new LinkedHashMap<>();
    List<CassandraJournal.Serialized> untagged = new ArrayList<>();
    for (CassandraJournal.Serialized event : events) {
      Set<String> tags = CollectionConverters.asJava(event.tags());
      if (tags.isEmpty()) {
        untagged.add(event);
      }
      for (String tag : tags) {
        byTag.computeIfAbsent(tag, t -> new ArrayList<>()).add(event);
      }
    }
    List<TagWriters.TagWrite> writes = new ArrayList<>(byTag.size());
    byTag.forEach(
        (tag, tagged) ->
            writes.add(
                new TagWriters.TagWrite(tag, CollectionConverters.asScala(tagged).toList(), true)));
    TagWriters.BulkTagWrite bulk =
        new TagWriters.BulkTagWrite(
            CollectionConverters.asScala(writes).toList(),
            CollectionConverters.asScala(untagged).toList());
    return Patterns.ask(tagWriters.get(), bulk, timeout).thenApply(done -> null);
  }
}
