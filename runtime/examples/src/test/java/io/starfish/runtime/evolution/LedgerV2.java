package io.starfish.runtime.evolution;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;

/**
 * Version 2 of the ledger: the event class moved (LedgerV1.Added is gone as far as this version
 * knows), its field {@code amount} is now {@code cents}, and it has a new required field, {@code
 * currency}. {@link AddedMigration} reads version 1's events as this.
 */
public final class LedgerV2 {

  private LedgerV2() {}

  public static final EntityType<Command, Event, LedgerState> TYPE =
      EntityType.of(
          "ledger",
          Command.class,
          LedgerState.EMPTY,
          (state, command) -> {
            Add add = (Add) command;
            return Outcome.persist(new Added(add.cents(), add.currency()));
          },
          (state, event) -> new LedgerState(state.total() + ((Added) event).cents()));

  public sealed interface Command permits Add {}

  public record Add(long cents, String currency) implements Command {}

  public sealed interface Event extends CborSerializable permits Added {}

  public record Added(long cents, String currency) implements Event {
    public Added {
      java.util.Objects.requireNonNull(currency, "currency");
    }
  }
}
