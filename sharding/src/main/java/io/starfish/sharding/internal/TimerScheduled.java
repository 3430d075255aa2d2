package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;
import java.util.Objects;

/** Journal record: a timer was scheduled (replacing a pending one with the same id). */
public record TimerScheduled(PendingTimer timer) implements CborSerializable {

  public TimerScheduled {
    Objects.requireNonNull(timer, "timer");
  }
}
