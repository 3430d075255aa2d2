package io.starfish.runtime;

import io.starfish.runtime.examples.Account;
import io.starfish.runtime.examples.Counter;
import io.starfish.runtime.examples.Reservation;
import io.starfish.runtime.examples.Transfer;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.internal.EntityDeleted;
import io.starfish.sharding.internal.EntityState;
import io.starfish.sharding.internal.KeyRecorded;
import io.starfish.sharding.internal.PendingTimer;
import io.starfish.sharding.internal.StoredTypes;
import io.starfish.sharding.internal.TimerCancelled;
import io.starfish.sharding.internal.TimerFired;
import io.starfish.sharding.internal.TimerScheduled;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;

/**
 * A sample of everything Starfish stores in Cassandra: the shipped entities' events and states,
 * idempotency records, deletion markers and snapshots. Written by hand with meaningful values;
 * {@link SerializationTest} round-trips them, {@link GoldenFormatsTest} reads their recorded bytes.
 */
final class StoredSamples {

  private StoredSamples() {}

  static List<Object> all() throws Exception {
    return List.of(
        new Account.Deposited(50),
        new Account.Withdrawn(20),
        new Account.State(30),
        new Counter.Incremented(-3),
        new Counter.State(7),
        new Transfer.Started("a-1", "a-2", 50),
        new Transfer.Withdrawn(50),
        new Transfer.WithdrawalRefused("insufficient funds"),
        new Transfer.Deposited(50),
        new Transfer.DepositRefused("overflow"),
        new Transfer.Refunded(50),
        new Transfer.RefundRefused("overflow"),
        Transfer.State.NEW,
        new Transfer.State("pending", Transfer.Stage.DEPOSITING, "a-1", "a-2", 50, null),
        EntityState.of(
            new Transfer.State("failed", Transfer.Stage.DONE, "a-1", "a-2", 50, "refunded")),
        new KeyRecorded(
            "k-1",
            "ab12",
            1_795_000_000_000L,
            4,
            EntityJson.COMMANDS.readTree("{\"balance\":50}"),
            EntityJson.COMMANDS.readTree("{\"events\":[]}"),
            null),
        new KeyRecorded(
            "k-2",
            "cd34",
            1_795_000_000_001L,
            4,
            EntityJson.COMMANDS.readTree("{}"),
            null,
            "no funds"),
        // a snapshot: the developer's state travels with its class name
        new EntityState<>(
            new Account.State(30),
            1,
            List.of(
                new KeyRecorded(
                    "k-2",
                    "cd34",
                    1_795_000_000_001L,
                    4,
                    EntityJson.COMMANDS.readTree("{\"balance\":30}"),
                    null,
                    "no funds"))),
        EntityState.of(new Counter.State(7)),
        // a deleted entity's tombstone snapshot, and its deletion marker in the journal
        new EntityState<>(new Account.State(30), 2, List.of(), 3L),
        new EntityDeleted(3, 1_795_000_000_002L),
        // a reservation, its durable timer's records, and a snapshot with a pending timer
        new Reservation.Held(2, "2030-01-01T10:10:00Z"),
        new Reservation.Confirmed(),
        new Reservation.Expired(),
        new Reservation.State("held", 2, "2030-01-01T10:10:00Z"),
        EXPIRY,
        new TimerScheduled(EXPIRY),
        new TimerCancelled("expiry", 1),
        new TimerFired("expiry", 1, 1_795_000_000_003L, null),
        new TimerFired("expiry", 2, 1_795_000_000_004L, "reservation is confirmed"),
        new EntityState<>(
            new Reservation.State("held", 2, "2030-01-01T10:10:00Z"),
            1,
            List.of(),
            null,
            List.of(EXPIRY),
            1));
  }

  /**
   * The same events and snapshots of the example entities as their entities store them today: under
   * logical names ({@code account.deposited#1}, {@code account.state#1}).
   */
  static List<Object> named(ActorSystem system) throws Exception {
    List<Object> named = new ArrayList<>();
    for (Object sample : all()) {
      Object domain = sample instanceof EntityState<?> state ? state.domain() : sample;
      Class<?> entity = domain.getClass().getEnclosingClass();
      EntityType<?, ?, ?> type = entity == null ? null : TYPES.get(entity);
      if (type != null) {
        named.add(StoredTypes.get(system).register(type).stored(sample));
      }
    }
    return named;
  }

  private static final Map<Class<?>, EntityType<?, ?, ?>> TYPES =
      Map.of(
          Account.class,
          Account.TYPE,
          Counter.class,
          Counter.TYPE,
          Transfer.class,
          Transfer.ENTITY,
          Reservation.class,
          Reservation.TYPE);

  private static final PendingTimer EXPIRY = expiry();

  private static PendingTimer expiry() {
    try {
      return new PendingTimer(
          "expiry", 1, 1_895_000_000_000L, EntityJson.COMMANDS.readTree("{\"type\":\"expire\"}"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
