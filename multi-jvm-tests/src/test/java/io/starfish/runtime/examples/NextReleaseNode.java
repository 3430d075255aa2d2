package io.starfish.runtime.examples;

import io.starfish.runtime.StarfishNode;
import io.starfish.sharding.EntityRegistry;

/** The example application's next release (see {@link AccountNextRelease}): its main. */
public final class NextReleaseNode {

  private NextReleaseNode() {}

  public static void main(String[] args) {
    StarfishNode.run(args, EntityRegistry.of(AccountNextRelease.TYPE, Counter.TYPE, Transfer.TYPE));
  }
}
