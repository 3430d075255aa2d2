package io.starfish.runtime.evolution;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;

/**
 * Version 1 of a ledger entity, as it was first shipped: {@code Added {amount}}, {@code Moved
 * {amount, to}}, state {@code {total}}. Stored as {@code ledger.added#1}, {@code ledger.moved#1},
 * {@code ledger.state#1}.
 */
public final class LedgerV1 {

  private LedgerV1() {}

  public static final EntityType<Command, Event, LedgerState> TYPE =
      EntityType.of(
          "ledger",
          Command.class,
          Event.class,
          LedgerState.EMPTY,
          LedgerV1::onCommand,
          LedgerV1::onEvent);

  public sealed interface Command permits Add, Move {}

  public record Add(long amount) implements Command {}

  public record Move(long amount, String to) implements Command {}

  public sealed interface Event extends CborSerializable permits Added, Moved {}

  public record Added(long amount) implements Event {}

  public record Moved(long amount, String to) implements Event {}

  static Outcome<Event> onCommand(LedgerState state, Command command) {
    if (command instanceof Move move) {
      return Outcome.persist(new Moved(move.amount(), move.to()));
    }
    return Outcome.persist(new Added(((Add) command).amount()));
  }

  static LedgerState onEvent(LedgerState state, Event event) {
    if (event instanceof Moved moved) {
      return new LedgerState(state.total() - moved.amount());
    }
    return new LedgerState(state.total() + ((Added) event).amount());
  }
}
