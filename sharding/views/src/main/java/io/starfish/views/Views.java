package io.starfish.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.starfish.observability.StarfishMetrics;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityJson;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.StatusObserver;
import org.apache.pekko.projection.cassandra.javadsl.CassandraProjection;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The views a node declares: runs their projections (one sharded daemon process instance per view,
 * so each runs on exactly one node of the cluster and moves when that node goes) and answers
 * queries over their rows. Every node must declare the same views.
 */
public final class Views {

  private static final Logger log = LoggerFactory.getLogger(Views.class);

  /** One row of a view: the entity it belongs to and the row as JSON. */
  public record Row(String id, JsonNode row) {}

  /** A page of rows; {@code next} is the cursor of the following page, if there is one. */
  public record Page(List<Row> rows, Optional<String> next) {}

  /**
   * A query.
   *
   * @param group the value of the view's group parameter (required for a grouped view, absent
   *     otherwise)
   * @param min smallest rank (ranged views only)
   * @param max largest rank (ranged views only)
   * @param limit rows per page; empty for the default
   * @param cursor where the previous page ended
   */
  public record Query(
      Optional<String> group,
      OptionalLong min,
      OptionalLong max,
      OptionalLong limit,
      Optional<String> cursor) {}

  private final Map<String, View<?, ?>> byName;
  private final ViewSettings settings;
  private final Optional<String> unavailable;
  private final ViewTables tables;

  private Views(
      Map<String, View<?, ?>> byName,
      ViewSettings settings,
      Optional<String> unavailable,
      ViewTables tables) {
    this.byName = byName;
    this.settings = settings;
    this.unavailable = unavailable;
    this.tables = tables;
  }

  /**
   * Starts the projections of {@code views} on this node (creating their tables first when so
   * configured) and returns at once; rows fill as the projections catch up.
   */
  public static Views start(ActorSystem<?> system, List<View<?, ?>> views) {
    Map<String, View<?, ?>> byName = new LinkedHashMap<>();
    views.stream()
        .sorted(Comparator.comparing(View::name))
        .forEach(
            v -> {
              if (byName.putIfAbsent(v.name(), v) != null) {
                throw new IllegalArgumentException("view '" + v.name() + "' declared twice");
              }
            });
    ViewSettings settings = ViewSettings.create(system.settings().config());
    Optional<String> unavailable = unavailable(system, settings);
    if (byName.isEmpty()) {
      return new Views(byName, settings, unavailable, null);
    }
    if (unavailable.isPresent()) {
      log.warn("views {} are not running: {}", byName.keySet(), unavailable.get());
      return new Views(byName, settings, unavailable, null);
    }
    String sessionPath =
        system.settings().config().getString("pekko.projection.cassandra.session-config-path");
    CassandraSession session =
        CassandraSessionRegistry.get(system.classicSystem()).sessionFor(sessionPath);
    ViewTables tables = new ViewTables(session, settings.keyspace());
    CompletionStage<?> ready =
        settings.createTables()
            ? ViewTables.create(session, settings)
            : java.util.concurrent.CompletableFuture.completedFuture(null);
    List<View<?, ?>> ordered = new ArrayList<>(byName.values());
    List<ViewMeters> meters =
        ordered.stream().map(v -> ViewMeters.register(system, v.name())).toList();
    ready.whenComplete(
        (done, failure) -> {
          if (failure != null) { // another node may have created them; projections retry anyway
            log.warn("could not create the views' tables: {}", failure.toString());
          }
          ShardedDaemonProcess.get(system)
              .init(
                  ProjectionBehavior.Command.class,
                  "starfish-views",
                  ordered.size(),
                  i -> projection(system, ordered.get(i), tables, settings, meters.get(i)),
                  ShardedDaemonProcessSettings.create(system),
                  Optional.of(ProjectionBehavior.stopMessage()));
          log.info(
              "views {} started (one projection each, somewhere in the cluster)", byName.keySet());
        });
    return new Views(byName, settings, Optional.empty(), tables);
  }

  private static Optional<String> unavailable(ActorSystem<?> system, ViewSettings settings) {
    var config = system.settings().config();
    if (!settings.enabled()) {
      return Optional.of("starfish.views.enabled is off on this node");
    }
    String plugin = config.getString("starfish.persistence.query-plugin");
    String tagging = plugin.substring(0, plugin.lastIndexOf('.')) + ".events-by-tag.enabled";
    if (config.hasPath(tagging) && !config.getBoolean(tagging)) {
      return Optional.of("events are not tagged: set " + tagging + " = on");
    }
    return Optional.empty();
  }

  /** What a view's projection records, registered once per node. */
  private record ViewMeters(ViewHandler.Meters handler, AtomicInteger running) {
    static ViewMeters register(ActorSystem<?> system, String view) {
      StarfishMetrics starfish = StarfishMetrics.get(system);
      var registry = starfish.registry();
      AtomicInteger running = new AtomicInteger();
      Gauge.builder("starfish.view.running", running, AtomicInteger::get)
          .description("1 while this node runs the view's projection")
          .tag("view", view)
          .strongReference(true)
          .register(registry);
      return new ViewMeters(
          new ViewHandler.Meters(
              starfish.lag(
                  "starfish.view.lag", "Time from an event's write to its view row", "view", view),
              Counter.builder("starfish.view.events.applied")
                  .description("Events applied to a view's rows on this node")
                  .tag("view", view)
                  .register(registry),
              Counter.builder("starfish.view.events.redelivered")
                  .description("Events a view's rows had already applied (delivered again)")
                  .tag("view", view)
                  .register(registry)),
          running);
    }
  }

  /** An entity's events from the journal, through the read journal the views query by tag. */
  private static ViewHandler.EarlierEvents earlierEvents(ActorSystem<?> system, String plugin) {
    var journal =
        org.apache.pekko.persistence.query.PersistenceQuery.get(system.classicSystem())
            .getReadJournalFor(
                org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery.class,
                plugin);
    return (persistenceId, seqNr) ->
        journal
            .currentEventsByPersistenceId(persistenceId, 1, seqNr)
            .map(org.apache.pekko.persistence.query.EventEnvelope::event)
            .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), system);
  }

  private static <E extends CborSerializable, R> Behavior<ProjectionBehavior.Command> projection(
      ActorSystem<?> system,
      View<E, R> view,
      ViewTables tables,
      ViewSettings settings,
      ViewMeters meters) {
    String plugin = system.settings().config().getString("starfish.persistence.query-plugin");
    SourceProvider<Offset, EventEnvelope<Object>> events =
        EventSourcedProvider.eventsByTag(system, plugin, view.sourceType());
    return ProjectionBehavior.create(
        CassandraProjection.atLeastOnce(
                ProjectionId.of(view.name(), view.sourceType()),
                events,
                () ->
                    new ViewHandler<>(
                        view,
                        tables,
                        earlierEvents(system, plugin),
                        meters.handler(),
                        Clock.systemUTC()))
            .withSaveOffset(settings.saveOffsetAfterEvents(), settings.saveOffsetAfter())
            .withRestartBackoff(settings.restartMinBackoff(), settings.restartMaxBackoff(), 0.2)
            .withStatusObserver(new RunningObserver(view.name(), meters.running())));
  }

  /**
   * The CQL that creates the views' tables and the projection offset tables, for {@code config}
   * (their keyspace must exist: the journal's by default). Part of {@code bin/starfish-node schema}
   * for an application that declares views.
   */
  public static List<String> schemaStatements(com.typesafe.config.Config config) {
    return ViewTables.createStatements(ViewSettings.create(config));
  }

  /** The declared views, by name. */
  public Optional<View<?, ?>> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<View<?, ?>> all() {
    return List.copyOf(byName.values());
  }

  /** Why queries cannot be answered on this node, if they cannot. */
  public Optional<String> unavailable() {
    return unavailable;
  }

  /**
   * A page of {@code view}'s rows.
   *
   * @throws IllegalArgumentException when the query does not fit the view (a missing group, a range
   *     on an unranged view, a bad limit or cursor)
   * @throws IllegalStateException when views are not running on this node ({@link #unavailable})
   */
  public CompletionStage<Page> query(View<?, ?> view, Query query) {
    Optional<String> parameter = view.groupParameter();
    if (parameter.isPresent() && query.group().isEmpty()) {
      throw new IllegalArgumentException(
          "view '"
              + view.name()
              + "' lists rows by "
              + parameter.get()
              + ": give ?"
              + parameter.get()
              + "=");
    }
    if (parameter.isEmpty() && query.group().isPresent()) {
      throw new IllegalArgumentException("view '" + view.name() + "' has no groups");
    }
    if (!view.isRanged() && (query.min().isPresent() || query.max().isPresent())) {
      throw new IllegalArgumentException(
          "view '" + view.name() + "' is not ordered by a number: min and max do not apply");
    }
    long min = query.min().orElse(Long.MIN_VALUE);
    long max = query.max().orElse(Long.MAX_VALUE);
    if (min > max) {
      throw new IllegalArgumentException("min (" + min + ") is greater than max (" + max + ")");
    }
    long limit = query.limit().orElse(settings.defaultPage());
    if (limit < 1 || limit > settings.maxPage()) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + settings.maxPage() + ", was " + limit);
    }
    Optional<ViewTables.Cursor> after = query.cursor().map(ViewTables.Cursor::decode);
    if (unavailable.isPresent() || tables == null) {
      throw new IllegalStateException(unavailable.orElse("no views are declared"));
    }
    int pageSize = (int) limit;
    return tables
        .list(view.name(), query.group().orElse(""), min, max, after, pageSize + 1)
        .thenApply(
            rows -> {
              List<ViewTables.ListedRow> shown =
                  rows.size() > pageSize ? rows.subList(0, pageSize) : rows;
              Optional<String> next =
                  rows.size() > pageSize
                      ? Optional.of(
                          new ViewTables.Cursor(
                                  shown.get(pageSize - 1).rank(), shown.get(pageSize - 1).id())
                              .encode())
                      : Optional.empty();
              return new Page(shown.stream().map(Views::row).toList(), next);
            });
  }

  private static Row row(ViewTables.ListedRow listed) {
    try {
      return new Row(listed.id(), EntityJson.MAPPER.readTree(listed.json()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored row is not JSON: " + listed.json(), e);
    }
  }

  /** Keeps {@code starfish_view_running} at 1 while the projection runs here. */
  private static final class RunningObserver extends StatusObserver<EventEnvelope<Object>> {
    private final String view;
    private final AtomicInteger running;

    RunningObserver(String view, AtomicInteger running) {
      this.view = view;
      this.running = running;
    }

    @Override
    public void started(ProjectionId id) {
      running.set(1);
      log.info("view '{}' projection started on this node", view);
    }

    @Override
    public void failed(ProjectionId id, Throwable cause) {
      running.set(0);
      log.warn(
          "view '{}' projection failed (it restarts after a backoff): {}", view, cause.toString());
    }

    @Override
    public void stopped(ProjectionId id) {
      running.set(0);
      log.info("view '{}' projection stopped on this node", view);
    }

    @Override
    public void beforeProcess(ProjectionId id, EventEnvelope<Object> envelope) {}

    @Override
    public void afterProcess(ProjectionId id, EventEnvelope<Object> envelope) {}

    @Override
    public void offsetProgress(ProjectionId id, EventEnvelope<Object> envelope) {}

    @Override
    public void error(
        ProjectionId id,
        EventEnvelope<Object> envelope,
        Throwable cause,
        org.apache.pekko.projection.HandlerRecoveryStrategy recovery) {
      log.warn(
          "view '{}' could not apply event {} of {}: {}",
          view,
          envelope.sequenceNr(),
          envelope.persistenceId(),
          cause.toString());
    }
  }
}
