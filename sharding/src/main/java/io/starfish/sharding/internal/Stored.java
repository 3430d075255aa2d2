package io.starfish.sharding.internal;

import java.util.Objects;

/**
 * An event or snapshot on its way to the journal, with the logical name it is stored under; {@link
 * StoredTypeSerializer} writes it. Only ever written: reading gives back the event or state itself.
 */
record Stored(StoredNames.Versioned name, Object value) {

  Stored {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }
}
