package io.starfish.runtime.examples;

import io.starfish.runtime.StarfishNode;
import io.starfish.sharding.EntityRegistry;
import io.starfish.views.View;
import java.util.List;

/**
 * The example application: a Starfish node serving the shipped example entities. It is what {@code
 * ./starfish dev}, the distribution's {@code bin/starfish-node} and the multi-JVM tests run. An
 * application of your own has the same shape: its entities in a registry, and this one call.
 */
public final class ExampleNode {

  /** The entity types the example node serves. */
  public static final EntityRegistry ENTITIES =
      EntityRegistry.of(Account.TYPE, Counter.TYPE, Transfer.TYPE, Reservation.TYPE);

  /** The views the example node keeps (their types' events are tagged: see application.conf). */
  public static final List<View<?, ?>> VIEWS = List.of(Account.BALANCES, Transfer.BY_STATUS);

  private ExampleNode() {}

  public static void main(String[] args) {
    StarfishNode.run(args, ENTITIES, VIEWS);
  }
}
