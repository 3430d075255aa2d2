package io.starfish.views;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityType;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * A view: a read table with one row per entity of a source type, kept up to date from that type's
 * events, and served at {@code GET /api/v1/views/{name}}. Declared next to its entity:
 *
 * <pre>{@code
 * public static final View<Event, Balance> BALANCES =
 *     View.of("account-balances", TYPE, new Balance(0), Account::onBalanceEvent)
 *         .rangedBy(Balance::balance);      // GET /api/v1/views/account-balances?min=10&max=99
 * }</pre>
 *
 * <p>Starfish runs each view as a Pekko Projection over the source type's tagged events (the type
 * must be declared {@link EntityType#streamed()}), at least once, with its offset and rows in
 * Cassandra, as one instance of a sharded daemon process: when its node goes, it resumes on a
 * survivor from the last stored offset. Each row remembers the sequence number of the last event
 * applied to it, so an event delivered twice changes nothing: {@link RowUpdate} runs exactly once
 * per event and row. Rows lag the journal by a few seconds (the read journal's eventual-consistency
 * delay); {@code starfish_view_lag_seconds} shows by how much.
 *
 * @param <E> the source type's events
 * @param <R> the row: a record, stored and served as JSON
 */
public final class View<E extends CborSerializable, R> {

  /** What an event does to its entity's row. */
  @FunctionalInterface
  public interface RowUpdate<E, R> {
    /**
     * @param row the entity's current row, or the view's initial row before its first event
     * @param event the next event of that entity, in sequence order
     * @return the new row, or null to remove the entity's row (its next event, if any, then starts
     *     again from the initial row)
     */
    R apply(R row, E event);
  }

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern PARAMETER = Pattern.compile("[a-z][a-zA-Z0-9]{0,31}");

  /** The query parameters every view has, which a group cannot be named. */
  static final Set<String> RESERVED_PARAMETERS = Set.of("min", "max", "limit", "cursor");

  private final String name;
  private final EntityType<?, E, ?> source;
  private final R initialRow;
  private final RowUpdate<E, R> update;
  private final Optional<Grouping<R>> grouping;
  private final Optional<ToLongFunction<R>> ranking;

  /** Rows are listed by the value of one of their fields: {@code ?parameter=value}. */
  record Grouping<R>(String parameter, Function<R, String> key) {}

  private View(
      String name,
      EntityType<?, E, ?> source,
      R initialRow,
      RowUpdate<E, R> update,
      Optional<Grouping<R>> grouping,
      Optional<ToLongFunction<R>> ranking) {
    this.name = name;
    this.source = source;
    this.initialRow = initialRow;
    this.update = update;
    this.grouping = grouping;
    this.ranking = ranking;
  }

  /**
   * Declares a view.
   *
   * @param name the view's name in URLs and in Cassandra, e.g. "account-balances"; never rename a
   *     view that has rows (the new name starts empty and reads every event again)
   * @param source the entity type whose events feed it; must be {@link EntityType#streamed()}
   * @param initialRow the row an entity has before its first event
   * @param update what each event does to its entity's row
   */
  public static <E extends CborSerializable, R> View<E, R> of(
      String name, EntityType<?, E, ?> source, R initialRow, RowUpdate<E, R> update) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "view name must match " + NAME.pattern() + " (lower-case, digits, '-'), was " + name);
    }
    Objects.requireNonNull(source, "source");
    if (!source.isStreamed()) {
      throw new IllegalArgumentException(
          "view '"
              + name
              + "' reads the events of every '"
              + source.name()
              + "' entity: declare that type with .streamed() so that its events are tagged");
    }
    return new View<>(
        name,
        source,
        Objects.requireNonNull(initialRow, "initialRow"),
        Objects.requireNonNull(update, "update"),
        Optional.empty(),
        Optional.empty());
  }

  /**
   * Rows are listed by one of their values: a query must name it ({@code ?parameter=value}, e.g.
   * {@code ?status=pending}) and gets the rows whose {@code key} equals it, in id order (or {@link
   * #rangedBy} order). Each value's rows live in one Cassandra partition.
   */
  public View<E, R> groupedBy(String parameter, Function<R, String> key) {
    if (parameter == null
        || !PARAMETER.matcher(parameter).matches()
        || RESERVED_PARAMETERS.contains(parameter)) {
      throw new IllegalArgumentException(
          "parameter must match "
              + PARAMETER.pattern()
              + " and not be one of "
              + RESERVED_PARAMETERS
              + ", was "
              + parameter);
    }
    return new View<>(
        name,
        source,
        initialRow,
        update,
        Optional.of(new Grouping<>(parameter, Objects.requireNonNull(key, "key"))),
        ranking);
  }

  /**
   * Rows are ordered by a number, and a query may ask for a range of it: {@code ?min=&max=} (both
   * inclusive, both optional). Without {@link #groupedBy}, all rows of the view live in one
   * Cassandra partition: fine for up to a few hundred thousand rows.
   */
  public View<E, R> rangedBy(ToLongFunction<R> value) {
    return new View<>(
        name,
        source,
        initialRow,
        update,
        grouping,
        Optional.of(Objects.requireNonNull(value, "value")));
  }

  public String name() {
    return name;
  }

  /** The name of the entity type whose events feed this view. */
  public String sourceType() {
    return source.name();
  }

  /** The query parameter naming the group of rows to list, if rows are grouped. */
  public Optional<String> groupParameter() {
    return grouping.map(Grouping::parameter);
  }

  /**
   * Whether rows are ordered by a number that queries may bound with {@code min} and {@code max}.
   */
  public boolean isRanged() {
    return ranking.isPresent();
  }

  R initialRow() {
    return initialRow;
  }

  /** The class rows are read back as from their JSON. */
  @SuppressWarnings("unchecked")
  Class<R> rowClass() {
    return (Class<R>) initialRow.getClass();
  }

  R apply(R row, E event) {
    return update.apply(row, event);
  }

  String groupOf(R row) {
    return grouping.map(g -> Objects.requireNonNull(g.key().apply(row), "group key")).orElse("");
  }

  long rankOf(R row) {
    return ranking.map(r -> r.applyAsLong(row)).orElse(0L);
  }

  @Override
  public String toString() {
    return "View[" + name + " of " + source.name() + "]";
  }
}
