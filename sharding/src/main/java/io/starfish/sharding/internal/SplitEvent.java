package io.starfish.sharding.internal;

import java.util.List;

/**
 * What one stored event of a retired name is read as when that is not exactly one of today's events
 * (a split): applied in order, under the stored event's sequence number. Never written.
 *
 * @param events today's events, in the order they are applied
 */
public record SplitEvent(List<?> events) {

  public SplitEvent {
    events = List.copyOf(events);
  }

  /**
   * The domain events a journal payload holds: the parts of a split event, the value of an event on
   * its way to the journal, or the payload itself.
   */
  public static List<Object> eventsIn(Object stored) {
    if (stored instanceof SplitEvent split) {
      return List.<Object>copyOf(split.events());
    }
    if (stored instanceof Stored written) {
      return List.of(written.value());
    }
    return List.of(stored);
  }
}
