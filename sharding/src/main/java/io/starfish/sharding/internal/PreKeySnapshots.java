package io.starfish.sharding.internal;

import org.apache.pekko.persistence.typed.SnapshotAdapter;

/**
 * Writes and reads the snapshots of declared entities: under the state's logical name ({@link
 * Stored}, {@code account.state#1}). Older snapshots are read too: {@link EntityState} under its
 * class name (before logical names), and the developer's state itself (before idempotency keys),
 * read as that state with no keys.
 */
final class PreKeySnapshots<S> implements SnapshotAdapter<EntityState<S>> {

  private final StoredNames names;

  PreKeySnapshots(StoredNames names) {
    this.names = names;
  }

  @Override
  public Object toJournal(EntityState<S> state) {
    return names.stored(state);
  }

  @Override
  @SuppressWarnings("unchecked")
  public EntityState<S> fromJournal(Object from) {
    Object read = from instanceof Stored stored ? stored.value() : from;
    return read instanceof EntityState<?> state ? (EntityState<S>) state : EntityState.of((S) read);
  }
}
