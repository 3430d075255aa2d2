package io.starfish.runtime.evolution;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;

/** Version 1 of a ledger entity, as it was first shipped: {@code Added {amount}}. */
public final class LedgerV1 {

  private LedgerV1() {}

  public static final EntityType<Command, Event, LedgerState> TYPE =
      EntityType.of(
          "ledger",
          Command.class,
          LedgerState.EMPTY,
          (state, command) -> Outcome.persist(new Added(((Add) command).amount())),
          (state, event) -> new LedgerState(state.total() + ((Added) event).amount()));

  public sealed interface Command permits Add {}

  public record Add(long amount) implements Command {}

  public sealed interface Event extends CborSerializable permits Added {}

  public record Added(long amount) implements Event {}
}
