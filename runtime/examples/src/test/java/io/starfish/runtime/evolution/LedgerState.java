package io.starfish.runtime.evolution;

import io.starfish.persistence.CborSerializable;

/** The ledger's state, the same in both versions: the total of what was added. */
public record LedgerState(long total) implements CborSerializable {
  public static final LedgerState EMPTY = new LedgerState(0);
}
