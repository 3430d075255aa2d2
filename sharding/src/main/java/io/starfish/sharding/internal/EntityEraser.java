package io.starfish.sharding.internal;

import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clears the journal of a deleted entity, in an order that a crash at any point leaves readable:
 * first the tombstone (the deleted state) is saved as a snapshot at the entity's last sequence
 * number, then every event up to it is deleted, then every older snapshot. The entity recovers from
 * the tombstone alone afterwards, and is still deleted if any step did not happen (it starts an
 * eraser again on each recovery until nothing is left to erase).
 *
 * <p>A classic persistent actor with the entity's persistence id, because only the classic API lets
 * an actor delete its events on demand; it never writes an event, and the entity writes none after
 * its deletion marker, so the two never compete for the journal.
 */
final class EntityEraser extends AbstractPersistentActor {

  private static final Logger log = LoggerFactory.getLogger(EntityEraser.class);

  private final String persistenceId;
  private final Object tombstone;
  private long replayed;

  private EntityEraser(String persistenceId, Object tombstone) {
    this.persistenceId = persistenceId;
    this.tombstone = tombstone;
  }

  static Props props(String persistenceId, Object tombstone) {
    return Props.create(EntityEraser.class, () -> new EntityEraser(persistenceId, tombstone));
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  /** Every remaining event, not the snapshot: what is replayed is what is left to erase. */
  @Override
  public Recovery recovery() {
    return Recovery.create(SnapshotSelectionCriteria.none());
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(
            RecoveryCompleted.class,
            done -> {
              if (replayed == 0) {
                log.debug("{}: nothing left to erase", persistenceId);
                getContext().stop(getSelf());
              } else {
                saveSnapshot(tombstone);
              }
            })
        .matchAny(event -> replayed++)
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(SaveSnapshotSuccess.class, saved -> deleteMessages(lastSequenceNr()))
        .match(
            DeleteMessagesSuccess.class,
            deleted ->
                deleteSnapshots(
                    SnapshotSelectionCriteria.create(lastSequenceNr() - 1, Long.MAX_VALUE)))
        .match(
            DeleteSnapshotsSuccess.class,
            deleted -> {
              log.info(
                  "{}: journal erased ({} events up to sequence number {}); the tombstone remains",
                  persistenceId,
                  replayed,
                  lastSequenceNr());
              getContext().stop(getSelf());
            })
        .match(SaveSnapshotFailure.class, failed -> giveUp("saving the tombstone", failed.cause()))
        .match(DeleteMessagesFailure.class, failed -> giveUp("deleting events", failed.cause()))
        .match(DeleteSnapshotsFailure.class, failed -> giveUp("deleting snapshots", failed.cause()))
        .build();
  }

  private void giveUp(String step, Throwable cause) {
    log.warn(
        "{}: erasing the journal failed at {} ({}); the entity stays deleted and tries again at"
            + " its next recovery",
        persistenceId,
        step,
        cause.toString());
    getContext().stop(getSelf());
  }
}
