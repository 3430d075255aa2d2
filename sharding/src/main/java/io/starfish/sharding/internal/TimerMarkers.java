package io.starfish.sharding.internal;

/** Journal records of an entity's durable timers; like {@link KeyRecorded}, not domain events. */
public final class TimerMarkers {

  private TimerMarkers() {}

  /** Whether {@code event} is one of them. */
  public static boolean isMarker(Object event) {
    return event instanceof TimerScheduled
        || event instanceof TimerCancelled
        || event instanceof TimerFired;
  }
}
