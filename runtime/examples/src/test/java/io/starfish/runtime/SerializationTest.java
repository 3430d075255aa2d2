package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.persistence.CborSerializable;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.runtime.examples.Account;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.internal.ControlMessages;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every message that is persisted or crosses nodes survives Pekko serialization unchanged. The
 * samples are written by hand (meaningful values, nulls where a field is optional), and {@link
 * #everySerializableTypeHasASample} fails when a class bound to Jackson CBOR (every concrete {@link
 * CborSerializable} in Starfish's main code on the class path) has none, so a new event or message
 * cannot go untested.
 */
class SerializationTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("SerializationTest", InMemoryPersistence.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<Object> everyMessage() throws Exception {
    TestProbe<EntityResult> probe = testKit.createTestProbe();
    List<Object> messages = new ArrayList<>(StoredSamples.all());
    messages.addAll(
        List.of(
            new EntityMessage.Execute(
                EntityJson.COMMANDS.readTree("{\"type\":\"deposit\",\"amount\":50}"), probe.ref()),
            new EntityMessage.Execute(
                EntityJson.COMMANDS.readTree("{\"type\":\"withdraw\",\"amount\":5}"),
                "3f1c0b2e-key",
                probe.ref()),
            new EntityMessage.GetState(probe.ref()),
            new EntityMessage.Delete(probe.ref()),
            // sent to wherever the entity runs by the admin crash action
            new ControlMessages.Crash(),
            // a saga's own step messages, and the idle timeout: sent within the node only. A
            // StepEnded with a result does not survive jackson-cbor (the field's type,
            // EntityResult,
            // carries no type id), so it must stay node-local; its failure form does.
            new ControlMessages.StepDue("t-1/withdraw"),
            // from a timer sweeper to the entity, possibly on another node
            new ControlMessages.TimerDue("expiry", 3, probe.ref()),
            new ControlMessages.StepEnded("t-1/deposit", null, "ask timed out"),
            ControlMessages.Idle.INSTANCE,
            // group commit: from the group commit to its entity, and the entity to itself
            // (node-local)
            new ControlMessages.ExecuteBatch(
                List.of(
                    new EntityMessage.Execute(
                        EntityJson.COMMANDS.readTree("{\"type\":\"deposit\",\"amount\":1}"),
                        "k-9",
                        probe.ref()))),
            ControlMessages.Settled.INSTANCE,
            new EntityResult.Accepted(
                3,
                EntityJson.COMMANDS.readTree("{\"balance\":50}"),
                EntityJson.COMMANDS.readTree(
                    "{\"events\":[{\"type\":\"deposited\",\"amount\":50}]}")),
            new EntityResult.Current(0, EntityJson.COMMANDS.readTree("{\"balance\":0}")),
            new EntityResult.Rejected("insufficient funds"),
            new EntityResult.Invalid("amount must be greater than 0"),
            new EntityResult.Unavailable("the journal (Cassandra) is unreachable"),
            new EntityResult.Quarantined("this command made the entity fail 3 times in a row"),
            new EntityResult.Repeated(
                2,
                EntityJson.COMMANDS.readTree("{\"balance\":50}"),
                EntityJson.COMMANDS.readTree("{}"),
                null),
            new EntityResult.Repeated(
                0, EntityJson.COMMANDS.readTree("{\"balance\":0}"), null, "no funds"),
            new EntityResult.KeyReused("the key was used for another command"),
            new EntityResult.Deleted(3),
            new EntityResult.Gone(3)));
    return messages;
  }

  @Test
  void everyMessageRoundTripsThroughItsSerializer() throws Exception {
    for (Object message : everyMessage()) {
      Object copy = testKit.serializationTestKit().verifySerialization(message, true);
      assertThat(copy).as(message.getClass().getName()).isEqualTo(message);
    }
  }

  @Test
  void everyMessageUsesJacksonCborNotJavaSerialization() throws Exception {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    for (Object message : everyMessage()) {
      String serializer = serialization.findSerializerFor(message).getClass().getSimpleName();
      assertThat(serializer).as(message.getClass().getName()).contains("Jackson");
      assertThat(Serializers.manifestFor(serialization.findSerializerFor(message), message))
          .isNotEmpty();
    }
  }

  @Test
  void everySerializableTypeHasASample() throws Exception {
    Set<String> discovered = discoverSerializableTypes();
    // guards the scan itself: it must find the messages of sharding and of the examples
    assertThat(discovered)
        .contains(EntityMessage.Execute.class.getName(), Account.Deposited.class.getName());

    Set<String> sampled =
        everyMessage().stream()
            .map(message -> message.getClass().getName())
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(sampled)
        .as("classes bound to jackson-cbor without a sample in everyMessage()")
        .containsAll(discovered);
  }

  /**
   * The concrete classes of Starfish's main code (not test code) on the class path that implement
   * CborSerializable: what the serialization binding in persistence's reference.conf covers.
   */
  private static Set<String> discoverSerializableTypes() throws IOException, URISyntaxException {
    Set<String> serializable = new TreeSet<>();
    for (Class<?> type : StarfishClasses.mainClasses()) {
      if (CborSerializable.class.isAssignableFrom(type)
          && !type.isInterface()
          && !Modifier.isAbstract(type.getModifiers())
          && !type.isAnonymousClass()
          && !type.isSynthetic()) {
        serializable.add(type.getName());
      }
    }
    return serializable;
  }
}
