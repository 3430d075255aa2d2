package io.starfish.runtime.evolution;

import io.starfish.persistence.CborSerializable;

/** The ledger's state in version 1: the total of what was added and not moved. */
public record LedgerState(long total) implements CborSerializable {
  public static final LedgerState EMPTY = new LedgerState(0);
}
