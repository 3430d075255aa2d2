package io.starfish.sharding.internal;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListSet;
import org.apache.pekko.Done;

/** The timer index of tests without Cassandra ({@code starfish.timers.index = in-memory}). */
final class InMemoryTimerIndex implements TimerIndex {

  private static final Comparator<Row> ORDER =
      Comparator.comparingInt(Row::slice)
          .thenComparingLong(Row::dueAtMillis)
          .thenComparing(Row::entityType)
          .thenComparing(Row::entityId)
          .thenComparing(Row::timerId)
          .thenComparingLong(Row::seq);

  private final ConcurrentSkipListSet<Row> rows = new ConcurrentSkipListSet<>(ORDER);

  @Override
  public CompletionStage<Done> add(Row row) {
    rows.add(row);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<Done> remove(Row row) {
    rows.remove(row);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<List<Row>> due(int slice, long fromMillis, long toMillis, int limit) {
    return CompletableFuture.completedFuture(
        rows.stream()
            .filter(
                r ->
                    r.slice() == slice
                        && r.dueAtMillis() >= fromMillis
                        && r.dueAtMillis() <= toMillis)
            .limit(limit)
            .toList());
  }

  @Override
  public CompletionStage<Long> count(int slice) {
    return CompletableFuture.completedFuture(rows.stream().filter(r -> r.slice() == slice).count());
  }

  /** Every row, in order (for tests). */
  List<Row> all() {
    return List.copyOf(rows);
  }
}
