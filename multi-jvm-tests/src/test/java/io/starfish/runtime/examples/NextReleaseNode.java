package io.starfish.runtime.examples;

import io.starfish.runtime.StarfishNode;
import io.starfish.sharding.EntityRegistry;

/** The example application's next release (see {@link AccountNextRelease}): its main. */
public final class NextReleaseNode {

  private NextReleaseNode() {}

  public static void main(String[] args) {
    // Every entity type of the current release (ExampleNode.ENTITIES), account in its next shape.
    // A type left out has no shard coordinator to take over on the new nodes: when the oldest old
    // node leaves, its hand-over of that coordinator retries until the leave times out (10 s),
    // and meanwhile the other types' regions still ask that node for their shards' homes, so the
    // shards it handed off answer nothing (seen with the reservation type missing here).
    StarfishNode.run(
        args,
        EntityRegistry.of(AccountNextRelease.TYPE, Counter.TYPE, Transfer.TYPE, Reservation.TYPE));
  }
}
