package io.starfish.runtime.examples;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityIds;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import io.starfish.sharding.SagaStep;
import io.starfish.sharding.SagaType;
import io.starfish.sharding.StepResult;
import io.starfish.views.View;
import java.util.Optional;

/**
 * A money transfer between two accounts: a saga. Contract: docs/entities/transfer.md.
 *
 * <p>{@code start} persists the intent; then Starfish sends the steps this file names, one at a
 * time, each with an idempotency key derived from the transfer id: withdraw from {@code from},
 * deposit to {@code to}, and, if the deposit is refused, refund {@code from}. Each step's result is
 * persisted before the next step is sent, so a crash anywhere resumes at the step it interrupted,
 * and sending that step again is a no-op at the account. Money is never created or lost: it is
 * always in exactly one of the two accounts or, between withdrawal and deposit, in this transfer.
 */
public final class Transfer {

  private Transfer() {}

  public static final EntityType<Command, Event, State> ENTITY =
      EntityType.of(
              "transfer",
              Command.class,
              Event.class,
              State.NEW,
              Transfer::onCommand,
              Transfer::onEvent)
          .streamed();

  public static final SagaType<Command, Event, State> TYPE =
      SagaType.of(ENTITY, Transfer::nextStep, Transfer::onStepResult);

  /**
   * Every transfer by status: {@code GET /api/v1/views/transfers-by-status?status=pending} lists
   * the transfers still under way, including those whose saga is passivated. Its row is the
   * transfer's state.
   */
  public static final View<Event, State> BY_STATUS =
      View.of("transfers-by-status", ENTITY, State.NEW, Transfer::onEvent)
          .groupedBy("status", State::status);

  // Commands: {"type":"start","from":"a-1","to":"a-2","amount":50}
  public sealed interface Command permits Start {}

  public record Start(String from, String to, long amount) implements Command {}

  // Events
  public sealed interface Event extends CborSerializable
      permits Started,
          Withdrawn,
          WithdrawalRefused,
          Deposited,
          DepositRefused,
          Refunded,
          RefundRefused {}

  /** The transfer was asked for; the withdrawal is next. */
  public record Started(String from, String to, long amount) implements Event {}

  /** The amount left {@code from}; the deposit is next. */
  public record Withdrawn(long amount) implements Event {}

  /** {@code from} refused the withdrawal (e.g. insufficient funds): failed, nothing moved. */
  public record WithdrawalRefused(String reason) implements Event {}

  /** The amount reached {@code to}: completed. */
  public record Deposited(long amount) implements Event {}

  /** {@code to} refused the deposit; the refund to {@code from} is next. */
  public record DepositRefused(String reason) implements Event {}

  /** The amount went back to {@code from}: failed, nothing moved. */
  public record Refunded(long amount) implements Event {}

  /**
   * {@code from} refused the refund (only possible if its balance would overflow): failed, and the
   * amount stays with this transfer (its state says so) for an operator to return.
   */
  public record RefundRefused(String reason) implements Event {}

  /** Where a transfer is. */
  public enum Stage {
    /** Not started. */
    NEW,
    WITHDRAWING,
    DEPOSITING,
    REFUNDING,
    /** Completed or failed: nothing left to do. */
    DONE
  }

  /**
   * @param status "new", "pending", "completed" or "failed"
   * @param stage the next step while pending
   * @param reason why it failed (null otherwise)
   */
  public record State(
      String status, Stage stage, String from, String to, long amount, String reason)
      implements CborSerializable {
    public static final State NEW = new State("new", Stage.NEW, null, null, 0, null);

    State at(Stage next, String newStatus, String why) {
      return new State(newStatus, next, from, to, amount, why);
    }
  }

  static Outcome<Event> onCommand(State state, Command command) {
    if (command instanceof Start start) {
      if (start.from() == null || !EntityIds.isValid(start.from())) {
        return Outcome.invalid("from must be an account id (1-128 of [A-Za-z0-9._:-])");
      }
      if (start.to() == null || !EntityIds.isValid(start.to())) {
        return Outcome.invalid("to must be an account id (1-128 of [A-Za-z0-9._:-])");
      }
      if (start.from().equals(start.to())) {
        return Outcome.invalid("from and to must be different accounts");
      }
      if (start.amount() <= 0) {
        return Outcome.invalid("amount must be greater than 0, was " + start.amount());
      }
      if (state.stage() == Stage.NEW) {
        return Outcome.persist(new Started(start.from(), start.to(), start.amount()));
      }
      if (start.from().equals(state.from())
          && start.to().equals(state.to())
          && start.amount() == state.amount()) {
        return Outcome.none(); // the same start again: already under way (or done)
      }
      return Outcome.reject(
          "transfer already started with different parameters: from "
              + state.from()
              + " to "
              + state.to()
              + ", amount "
              + state.amount());
    }
    throw new IllegalArgumentException("unhandled command " + command);
  }

  static State onEvent(State state, Event event) {
    if (event instanceof Started started) {
      return new State(
          "pending", Stage.WITHDRAWING, started.from(), started.to(), started.amount(), null);
    }
    if (event instanceof Withdrawn) {
      return state.at(Stage.DEPOSITING, "pending", null);
    }
    if (event instanceof WithdrawalRefused refused) {
      return state.at(Stage.DONE, "failed", "withdrawal refused: " + refused.reason());
    }
    if (event instanceof Deposited) {
      return state.at(Stage.DONE, "completed", null);
    }
    if (event instanceof DepositRefused refused) {
      return state.at(Stage.REFUNDING, "pending", "deposit refused: " + refused.reason());
    }
    if (event instanceof RefundRefused refused) {
      return state.at(
          Stage.DONE,
          "failed",
          state.reason()
              + "; refund refused: "
              + refused.reason()
              + "; the amount is held by this transfer");
    }
    if (event instanceof Refunded) {
      return state.at(
          Stage.DONE, "failed", state.reason() + "; amount refunded to " + state.from());
    }
    throw new IllegalArgumentException("unhandled event " + event);
  }

  /** The step to send in each stage; keys are fixed per transfer and step. */
  static Optional<SagaStep> nextStep(String transferId, State state) {
    return switch (state.stage()) {
      case WITHDRAWING ->
          Optional.of(
              SagaStep.to(
                  Account.TYPE,
                  state.from(),
                  new Account.Withdraw(state.amount()),
                  "transfer:" + transferId + ":withdraw"));
      case DEPOSITING ->
          Optional.of(
              SagaStep.to(
                  Account.TYPE,
                  state.to(),
                  new Account.Deposit(state.amount()),
                  "transfer:" + transferId + ":deposit"));
      case REFUNDING ->
          Optional.of(
              SagaStep.to(
                  Account.TYPE,
                  state.from(),
                  new Account.Deposit(state.amount()),
                  "transfer:" + transferId + ":refund"));
      case NEW, DONE -> Optional.empty();
    };
  }

  static Outcome<Event> onStepResult(State state, SagaStep step, StepResult result) {
    boolean accepted = result instanceof StepResult.Accepted;
    String reason = result instanceof StepResult.Rejected rejected ? rejected.reason() : null;
    return switch (state.stage()) {
      case WITHDRAWING ->
          Outcome.persist(accepted ? new Withdrawn(state.amount()) : new WithdrawalRefused(reason));
      case DEPOSITING ->
          Outcome.persist(accepted ? new Deposited(state.amount()) : new DepositRefused(reason));
      case REFUNDING ->
          Outcome.persist(accepted ? new Refunded(state.amount()) : new RefundRefused(reason));
      case NEW, DONE ->
          throw new IllegalStateException("no step is pending in stage " + state.stage());
    };
  }
}
