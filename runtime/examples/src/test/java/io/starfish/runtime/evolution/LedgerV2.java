package io.starfish.runtime.evolution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Version 2 of the ledger, in another class (names stay: {@code ledger.added} is {@code
 * ledger.added} wherever its class lives):
 *
 * <ul>
 *   <li>{@code Added}: field {@code amount} renamed {@code cents}, new required field {@code
 *       currency} (version 2; {@link AddedMigration} reads version 1 as it, with "EUR");
 *   <li>{@code Moved} is split into {@code Subtracted} and {@code Noted}: the name {@code moved} is
 *       retired and its stored events are read as both;
 *   <li>the state {@code {total}} became {@code {totalCents, notes}} (version 2; {@link
 *       StateMigration} reads version 1's snapshots).
 * </ul>
 */
public final class LedgerV2 {

  private LedgerV2() {}

  public static final EntityType<Command, Event, State> TYPE =
      EntityType.of(
              "ledger",
              Command.class,
              Event.class,
              State.EMPTY,
              LedgerV2::onCommand,
              LedgerV2::onEvent)
          .withMigration(Added.class, new AddedMigration())
          .withRetiredEvent(
              "moved",
              moved ->
                  List.of(
                      new Subtracted(moved.get("amount").asLong()),
                      new Noted("moved to " + moved.get("to").asText())))
          .withStateMigration(new StateMigration());

  public sealed interface Command permits Add {}

  public record Add(long cents, String currency) implements Command {}

  public sealed interface Event extends CborSerializable permits Added, Subtracted, Noted {}

  public record Added(long cents, String currency) implements Event {
    public Added {
      Objects.requireNonNull(currency, "currency");
    }
  }

  public record Subtracted(long cents) implements Event {}

  public record Noted(String note) implements Event {}

  public record State(long totalCents, int notes) implements CborSerializable {
    public static final State EMPTY = new State(0, 0);
  }

  static Outcome<Event> onCommand(State state, Command command) {
    Add add = (Add) command;
    return Outcome.persist(new Added(add.cents(), add.currency()));
  }

  static State onEvent(State state, Event event) {
    if (event instanceof Added added) {
      return new State(state.totalCents() + added.cents(), state.notes());
    }
    if (event instanceof Subtracted subtracted) {
      return new State(state.totalCents() - subtracted.cents(), state.notes());
    }
    return new State(state.totalCents(), state.notes() + 1);
  }

  /** Snapshots of version 1, {@code {total}}, read as {@code {totalCents, notes: 0}}. */
  public static final class StateMigration extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      ObjectNode node = (ObjectNode) json;
      if (fromVersion < 2) {
        node.set("totalCents", node.remove("total"));
        node.put("notes", 0);
      }
      return node;
    }
  }
}
