package io.starfish.runtime.examples;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.views.View;

/**
 * A bank account: the balance never goes negative. Contract: docs/entities/account.md.
 *
 * <p>This file is the whole entity: commands, events and state as records, one command handler and
 * one event handler. Starfish supplies persistence, sharding, supervision and the HTTP API.
 */
public final class Account {

  private Account() {}

  public static final EntityType<Command, Event, State> TYPE =
      EntityType.of(
              "account",
              Command.class,
              Event.class,
              State.EMPTY,
              Account::onCommand,
              Account::onEvent)
          .streamed();

  /**
   * A view of every account's balance, ordered by it: {@code GET
   * /api/v1/views/account-balances?min=0&max=100}. Its row is the account's state, kept by this
   * file's own event handler.
   */
  public static final View<Event, State> BALANCES =
      View.of("account-balances", TYPE, State.EMPTY, Account::onEvent).rangedBy(State::balance);

  // Commands: the JSON {"type":"deposit","amount":50} becomes new Deposit(50).
  public sealed interface Command permits Deposit, Withdraw {}

  public record Deposit(long amount) implements Command {}

  public record Withdraw(long amount) implements Command {}

  // Events: what happened, persisted in the journal.
  public sealed interface Event extends CborSerializable permits Deposited, Withdrawn {}

  public record Deposited(long amount) implements Event {}

  public record Withdrawn(long amount) implements Event {}

  // State: immutable; applying an event gives the next state.
  public record State(long balance) implements CborSerializable {
    public static final State EMPTY = new State(0);
  }

  static Outcome<Event> onCommand(State state, Command command) {
    if (command instanceof Deposit deposit) {
      if (deposit.amount() <= 0) {
        return Outcome.invalid("amount must be greater than 0, was " + deposit.amount());
      }
      if (state.balance() > Long.MAX_VALUE - deposit.amount()) {
        return Outcome.reject("deposit of " + deposit.amount() + " would overflow the balance");
      }
      return Outcome.persist(new Deposited(deposit.amount()));
    }
    if (command instanceof Withdraw withdraw) {
      if (withdraw.amount() <= 0) {
        return Outcome.invalid("amount must be greater than 0, was " + withdraw.amount());
      }
      if (withdraw.amount() > state.balance()) {
        return Outcome.reject(
            "insufficient funds: balance " + state.balance() + ", withdrawal " + withdraw.amount());
      }
      return Outcome.persist(new Withdrawn(withdraw.amount()));
    }
    throw new IllegalArgumentException("unhandled command " + command);
  }

  static State onEvent(State state, Event event) {
    if (event instanceof Deposited deposited) {
      return new State(state.balance() + deposited.amount());
    }
    if (event instanceof Withdrawn withdrawn) {
      return new State(state.balance() - withdrawn.amount());
    }
    throw new IllegalArgumentException("unhandled event " + event);
  }
}
