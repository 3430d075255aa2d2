package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.testkit.EntityTestKit;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A command handler gets its entity's id and the time of the decision, from a settable clock. */
class CommandContextTest {

  sealed interface Command permits Stamp {}

  record Stamp() implements Command {}

  record Stamped(String by, String at) implements CborSerializable {}

  record Stamps(String last) implements CborSerializable {}

  static final EntityType<Command, Stamped, Stamps> STAMPER =
      EntityType.of(
          "stamper",
          Command.class,
          Stamped.class,
          new Stamps(""),
          (CommandContext context, Stamps state, Command command) ->
              Outcome.persist(new Stamped(context.entityId(), context.now().toString())),
          (state, event) -> new Stamps(event.by() + "@" + event.at()));

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("CommandContextTest", EntityTestKit.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void theHandlerSeesItsEntityIdAndTheTimeOfTheClockTheTestSet() {
    var stamper = EntityTestKit.of(testKit.system(), STAMPER, "s-7");
    stamper.setClock(Clock.fixed(Instant.parse("2031-05-06T07:08:09Z"), ZoneOffset.UTC));
    assertThat(stamper.run(new Stamp()).events())
        .containsExactly(new Stamped("s-7", "2031-05-06T07:08:09Z"));

    stamper.setClock(Clock.fixed(Instant.parse("2031-05-06T07:09:00Z"), ZoneOffset.UTC));
    stamper.run(new Stamp());
    assertThat(stamper.state()).isEqualTo(new Stamps("s-7@2031-05-06T07:09:00Z"));
    stamper.setClock(Clock.systemUTC());
  }
}
