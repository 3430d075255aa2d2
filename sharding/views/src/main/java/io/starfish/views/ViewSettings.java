package io.starfish.views;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code starfish.views.*} (see reference.conf), plus where the rows live.
 *
 * @param enabled whether this node runs its views
 * @param createTables whether this node creates the views' tables at start
 * @param keyspace the keyspace of the rows and offsets ({@code
 *     pekko.projection.cassandra.offset-store.keyspace})
 * @param offsetTable the projection offset table's name
 * @param managementTable the projection management table's name
 * @param saveOffsetAfterEvents offsets are stored after this many events...
 * @param saveOffsetAfter ...or after this long
 * @param restartMinBackoff first backoff of a failed projection
 * @param restartMaxBackoff longest backoff of a failed projection
 * @param defaultPage rows per page without a limit
 * @param maxPage the largest limit
 */
public record ViewSettings(
    boolean enabled,
    boolean createTables,
    String keyspace,
    String offsetTable,
    String managementTable,
    int saveOffsetAfterEvents,
    Duration saveOffsetAfter,
    Duration restartMinBackoff,
    Duration restartMaxBackoff,
    int defaultPage,
    int maxPage) {

  public static ViewSettings create(Config config) {
    Config views = config.getConfig("starfish.views");
    Config offsets = config.getConfig("pekko.projection.cassandra.offset-store");
    String create = views.getString("create-tables");
    boolean createTables =
        switch (create) {
          case "auto" -> config.getBoolean("pekko.persistence.cassandra.journal.tables-autocreate");
          case "on", "true", "yes" -> true;
          case "off", "false", "no" -> false;
          default ->
              throw new IllegalArgumentException(
                  "starfish.views.create-tables must be auto, on or off, was " + create);
        };
    ViewSettings settings =
        new ViewSettings(
            views.getBoolean("enabled"),
            createTables,
            offsets.getString("keyspace"),
            offsets.getString("table"),
            offsets.getString("management-table"),
            views.getInt("save-offset-after-events"),
            views.getDuration("save-offset-after"),
            views.getDuration("restart-min-backoff"),
            views.getDuration("restart-max-backoff"),
            views.getInt("default-page"),
            views.getInt("max-page"));
    if (settings.defaultPage < 1 || settings.defaultPage > settings.maxPage) {
      throw new IllegalArgumentException(
          "starfish.views.default-page must be between 1 and max-page, was "
              + settings.defaultPage);
    }
    return settings;
  }
}
