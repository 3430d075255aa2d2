package io.starfish.sharding.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.starfish.observability.StarfishMetrics;
import io.starfish.sharding.EntityClock;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.StarfishSharding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Delivers due durable timers: one of {@code starfish.timers.sweepers} instances, each run by
 * Pekko's sharded daemon process on one node (moved to a survivor when that node goes), owning the
 * index slices {@code s % sweepers == instance}. Every poll it reads each slice's rows due from its
 * low-water mark to now and sends each a {@link ControlMessages.TimerDue} through sharding (which
 * starts a passivated entity); a definite answer settles the row (it is removed), anything else
 * leaves it for a later try. At least once: a row is only removed after the entity answered, and
 * the entity applies each firing once.
 *
 * <p>The low-water mark of a slice is the oldest unsettled row read, but at most {@code
 * settle-window} behind the clock, so rows removed long ago (tombstones) are not read again. It
 * lives in memory: a new incarnation starts from the beginning of its slices, once.
 */
public final class TimerSweeper {

  private TimerSweeper() {}

  /** What a sweeper receives. */
  public sealed interface Command {}

  /** Time to look for due timers. */
  private enum Tick implements Command {
    INSTANCE
  }

  /** Time to count the rows of the slices, for the pending gauge. */
  private enum CountTick implements Command {
    INSTANCE
  }

  private record Counted(int slice, long rows) implements Command {}

  /** Stops the sweeper (the sharded daemon process's stop message, on a rebalance). */
  public enum Stop implements Command {
    INSTANCE
  }

  private record Found(int slice, List<TimerIndex.Row> rows, int limit, long readAtMillis)
      implements Command {}

  private record ReadFailed(int slice, Throwable failure) implements Command {}

  private record Answered(TimerIndex.Row row, EntityResult result, Throwable failure)
      implements Command {}

  /** Sweeper {@code instance} of {@code settings.sweepers()}. */
  public static Behavior<Command> create(int instance) {
    return Behaviors.<Command>supervise(
            Behaviors.setup(
                context ->
                    Behaviors.withTimers(
                        timers -> {
                          TimerIndexes indexes = TimerIndexes.get(context.getSystem());
                          timers.startTimerWithFixedDelay(
                              Tick.INSTANCE, indexes.settings().pollInterval());
                          Duration counting = indexes.settings().pendingCountInterval();
                          if (!counting.isZero()) {
                            timers.startTimerWithFixedDelay(
                                CountTick.INSTANCE,
                                CountTick.INSTANCE,
                                indexes.settings().pollInterval(),
                                counting);
                          }
                          return new Sweep(context, instance, indexes).behavior();
                        })))
        .onFailure(
            SupervisorStrategy.restartWithBackoff(
                Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
  }

  /** The state of one sweeper incarnation. */
  private static final class Sweep {
    private final ActorContext<Command> context;
    private final TimerIndex index;
    private final TimerSettings settings;
    private final EntityClock clock;
    private final ClusterSharding sharding;
    private final Map<Integer, Long> lowWater = new HashMap<>();
    private final Set<Integer> reading = new HashSet<>();
    private final Set<Integer> failing = new HashSet<>();

    /** When each slice is read next: at the next known due time, or after the idle interval. */
    private final Map<Integer, Long> nextRead = new HashMap<>();

    private final Set<TimerIndex.Row> inFlight = new HashSet<>();
    private final Map<TimerIndex.Row, Long> retryAt = new HashMap<>();
    private final Meters meters;

    Sweep(ActorContext<Command> context, int instance, TimerIndexes indexes) {
      this.context = context;
      this.index = indexes.index();
      this.settings = indexes.settings();
      this.clock = EntityClock.get(context.getSystem());
      this.sharding = ClusterSharding.get(context.getSystem());
      for (int slice = 0; slice < settings.slices(); slice++) {
        if (slice % settings.sweepers() == instance) {
          lowWater.put(slice, 0L);
        }
      }
      this.meters = Meters.get(context);
      meters.running.incrementAndGet();
      context.getLog().info("timer sweeper {} started, slices {}", instance, lowWater.keySet());
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::onTick)
          .onMessage(Found.class, this::onFound)
          .onMessage(ReadFailed.class, this::onReadFailed)
          .onMessage(Answered.class, this::onAnswered)
          .onMessageEquals(CountTick.INSTANCE, this::onCountTick)
          .onMessage(Counted.class, this::onCounted)
          .onMessageEquals(Stop.INSTANCE, this::onStop)
          .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> stopped())
          .build();
    }

    private Behavior<Command> onTick() {
      long now = clock.clock().millis();
      int limit = Math.max(100, settings.maxInFlight() * 4);
      long horizon = now + settings.idlePollInterval().toMillis();
      for (Map.Entry<Integer, Long> slice : lowWater.entrySet()) {
        if (now < nextRead.getOrDefault(slice.getKey(), 0L)) {
          continue; // nothing known to fall due before then
        }
        if (!reading.add(slice.getKey())) {
          continue; // the previous read of this slice has not answered yet
        }
        // rows due up to the horizon: the due ones fire, the others say when to read again
        context.pipeToSelf(
            index.due(slice.getKey(), slice.getValue(), horizon, limit),
            (rows, failure) ->
                failure == null
                    ? new Found(slice.getKey(), rows, limit, now)
                    : new ReadFailed(slice.getKey(), failure));
      }
      return Behaviors.same();
    }

    private Behavior<Command> onFound(Found found) {
      reading.remove(found.slice());
      if (failing.remove(found.slice())) {
        context.getLog().info("timer sweeper: slice {} is read again", found.slice());
      }
      long now = found.readAtMillis();
      long oldestUnsettled = Long.MAX_VALUE;
      long nextDue = Long.MAX_VALUE;
      boolean anyDue = false;
      for (TimerIndex.Row row : found.rows()) {
        if (row.dueAtMillis() > now) {
          nextDue = Math.min(nextDue, row.dueAtMillis());
          continue;
        }
        anyDue = true;
        oldestUnsettled = Math.min(oldestUnsettled, row.dueAtMillis());
        if (inFlight.contains(row) || retryAt.getOrDefault(row, 0L) > now) {
          continue;
        }
        if (inFlight.size() >= settings.maxInFlight()) {
          continue; // next poll
        }
        fire(row, now);
      }
      long mark = Math.min(oldestUnsettled, now - settings.settleWindow().toMillis());
      if (found.rows().size() >= found.limit()) {
        // rows beyond the last one read are not known yet: do not move past them
        mark = Math.min(mark, found.rows().get(found.rows().size() - 1).dueAtMillis());
      }
      lowWater.merge(found.slice(), mark, Math::max);
      // Read again next poll while due rows are unsettled (or the page was full); else when the
      // next known row falls due, and after the idle interval at the latest (rows another node
      // adds meanwhile wait at most that long).
      boolean full = found.rows().size() >= found.limit();
      nextRead.put(
          found.slice(),
          anyDue || full ? 0L : Math.min(nextDue, now + settings.idlePollInterval().toMillis()));
      meters.inFlight.set(inFlight.size());
      return Behaviors.same();
    }

    private void fire(TimerIndex.Row row, long now) {
      inFlight.add(row);
      meters.lateness.record(Duration.ofMillis(Math.max(0, now - row.dueAtMillis())));
      context.ask(
          EntityResult.class,
          sharding.entityRefFor(StarfishSharding.typeKey(row.entityType()), row.entityId()),
          settings.fireTimeout(),
          replyTo -> new ControlMessages.TimerDue(row.timerId(), row.seq(), replyTo),
          (result, failure) -> new Answered(row, result, failure));
    }

    private Behavior<Command> onReadFailed(ReadFailed failed) {
      reading.remove(failed.slice());
      // once per outage of a slice, not every poll (Cassandra unreachable: every read fails)
      if (failing.add(failed.slice())) {
        context
            .getLog()
            .warn(
                "timer sweeper: reading slice {} failed ({}); trying every poll, logged again when"
                    + " it works",
                failed.slice(),
                failed.failure().toString());
      }
      return Behaviors.same();
    }

    private Behavior<Command> onAnswered(Answered answered) {
      TimerIndex.Row row = answered.row();
      inFlight.remove(row);
      EntityResult result = answered.result();
      boolean settled =
          result instanceof EntityResult.Accepted
              || result instanceof EntityResult.Rejected
              || result instanceof EntityResult.Invalid
              || result instanceof EntityResult.Current
              || result instanceof EntityResult.Gone;
      if (settled) {
        retryAt.remove(row);
        meters.fired(result).increment();
        index
            .remove(row)
            .whenComplete(
                (done, failure) -> {
                  if (failure != null) { // delivered again later: it then changes nothing
                    context.getLog().debug("timer row not removed: {}", failure.toString());
                  }
                });
      } else {
        retryAt.put(row, clock.clock().millis() + settings.retryAfter().toMillis());
        context
            .getLog()
            .debug(
                "timer '{}' of {}/{} not delivered ({}); tried again later",
                row.timerId(),
                row.entityType(),
                row.entityId(),
                answered.failure() != null ? answered.failure().toString() : result);
      }
      meters.inFlight.set(inFlight.size());
      return Behaviors.same();
    }

    private Behavior<Command> onCountTick() {
      for (int slice : lowWater.keySet()) {
        context.pipeToSelf(
            index.count(slice),
            (rows, failure) -> {
              if (failure != null) {
                context.getLog().debug("timer sweeper: counting slice {} failed", slice, failure);
                return new Counted(slice, -1);
              }
              return new Counted(slice, rows);
            });
      }
      return Behaviors.same();
    }

    private Behavior<Command> onCounted(Counted counted) {
      if (counted.rows() >= 0) { // a failed count keeps the last one
        meters.pendingBySlice.put(counted.slice(), counted.rows());
      }
      return Behaviors.same();
    }

    private Behavior<Command> onStop() {
      return Behaviors.stopped();
    }

    private Behavior<Command> stopped() {
      meters.running.decrementAndGet();
      meters.inFlight.set(0);
      lowWater.keySet().forEach(meters.pendingBySlice::remove); // counted by their next sweeper
      return Behaviors.same();
    }
  }

  /** The sweepers' meters on this node (registered once). */
  private static final class Meters {
    private static Meters instance;

    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();

    /** Rows per slice that this node's sweepers own, as last counted. */
    final Map<Integer, Long> pendingBySlice = new java.util.concurrent.ConcurrentHashMap<>();

    final Timer lateness;
    private final io.micrometer.core.instrument.MeterRegistry registry;
    private final Map<String, Counter> fired = new java.util.concurrent.ConcurrentHashMap<>();

    private Meters(StarfishMetrics metrics) {
      this.registry = metrics.registry();
      Gauge.builder("starfish.timers.sweepers.running", running, AtomicInteger::get)
          .description("Timer sweepers running on this node")
          .strongReference(true)
          .register(registry);
      Gauge.builder("starfish.timers.in.flight", inFlight, AtomicInteger::get)
          .description("Due timers delivered and not yet answered, on this node's sweepers")
          .strongReference(true)
          .register(registry);
      Gauge.builder(
              "starfish.timers.pending",
              pendingBySlice,
              rows -> rows.values().stream().mapToLong(Long::longValue).sum())
          .description(
              "Timers scheduled and not yet fired, in the index slices of this node's sweepers"
                  + " (counted every pending-count-interval; sum over the nodes)")
          .strongReference(true)
          .register(registry);
      this.lateness =
          metrics.lag(
              "starfish.timers.lateness", "How late a timer was when it was delivered (each try)");
    }

    static synchronized Meters get(ActorContext<?> context) {
      if (instance == null
          || instance.registry != StarfishMetrics.get(context.getSystem()).registry()) {
        instance = new Meters(StarfishMetrics.get(context.getSystem()));
      }
      return instance;
    }

    Counter fired(EntityResult result) {
      String outcome = result.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
      return fired.computeIfAbsent(
          outcome,
          o ->
              Counter.builder("starfish.timers.fired")
                  .description("Timer deliveries settled, by the entity's answer")
                  .tag("outcome", o)
                  .register(registry));
    }
  }

  /** Every slice of a sweeper, for tests. */
  static List<Integer> slicesOf(int instance, TimerSettings settings) {
    List<Integer> slices = new ArrayList<>();
    for (int slice = 0; slice < settings.slices(); slice++) {
      if (slice % settings.sweepers() == instance) {
        slices.add(slice);
      }
    }
    return slices;
  }
}
