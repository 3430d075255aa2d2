package io.starfish.sharding.internal;

import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * Reads snapshots of declared entities. Snapshots written before idempotency keys existed hold the
 * developer's state itself; they are read as that state with no keys.
 */
final class PreKeySnapshots<S> implements SnapshotAdapter<EntityState<S>> {

  @Override
  public Object toJournal(EntityState<S> state) {
    return state;
  }

  @Override
  @SuppressWarnings("unchecked")
  public EntityState<S> fromJournal(Object from) {
    return from instanceof EntityState<?> state ? (EntityState<S>) state : EntityState.of((S) from);
  }
}
