package io.starfish.runtime.examples;

import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;

/**
 * The account as its next release ships it, for the rolling-upgrade test: one more command ({@code
 * fee}), the same events and state, so that it replays every event the current release wrote and
 * the current release could replay what it writes. (In this package to reuse {@link Account}'s
 * handlers, as the next version of that file would.)
 */
public final class AccountNextRelease {

  private AccountNextRelease() {}

  public static final EntityType<Command, Account.Event, Account.State> TYPE =
      EntityType.of(
          "account",
          Command.class,
          Account.Event.class,
          Account.State.EMPTY,
          AccountNextRelease::onCommand,
          Account::onEvent);

  public sealed interface Command permits Deposit, Withdraw, Fee {}

  public record Deposit(long amount) implements Command {}

  public record Withdraw(long amount) implements Command {}

  /** New in this release: a fee, stored as a withdrawal (an event the old release knows). */
  public record Fee(long amount) implements Command {}

  static Outcome<Account.Event> onCommand(Account.State state, Command command) {
    if (command instanceof Deposit deposit) {
      return Account.onCommand(state, new Account.Deposit(deposit.amount()));
    }
    if (command instanceof Withdraw withdraw) {
      return Account.onCommand(state, new Account.Withdraw(withdraw.amount()));
    }
    Fee fee = (Fee) command;
    return Account.onCommand(state, new Account.Withdraw(fee.amount()));
  }
}
