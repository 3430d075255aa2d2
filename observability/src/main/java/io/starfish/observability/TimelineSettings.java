package io.starfish.observability;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code starfish.timeline} (see reference.conf). */
public record TimelineSettings(
    int size, Duration pollInterval, Duration incidentPollInterval, Duration incidentTimeout) {

  public static TimelineSettings create(Config config) {
    Config c = config.getConfig("starfish.timeline");
    TimelineSettings settings =
        new TimelineSettings(
            c.getInt("size"),
            c.getDuration("poll-interval"),
            c.getDuration("incident-poll-interval"),
            c.getDuration("incident-timeout"));
    if (settings.size < 1) {
      throw new IllegalArgumentException("starfish.timeline.size must be at least 1");
    }
    return settings;
  }
}
