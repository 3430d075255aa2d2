package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.persistence.testing.InMemoryPersistence;
import io.starfish.persistence.testing.TestTools;
import io.starfish.sharding.EntityJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden fixtures of everything Starfish stores: for each stored type, the bytes one version of the
 * code wrote (serializer id, manifest, bytes, and the fields as JSON), checked in under {@code
 * src/test/resources/golden/stored-formats.json}. The current code must still read every one of
 * them to the same field values; a change that would make data in a journal unreadable (a renamed
 * or moved class, a renamed or removed field, a changed field type) fails here, before it reaches a
 * cluster. Added fields with defaults pass.
 *
 * <p>Fixtures are only ever added, never rewritten: a new stored type gets its fixture with {@code
 * ./mvnw -pl runtime/examples test -Dtest=GoldenFormatsTest -Dstarfish.golden.add=true}, which
 * records the types that have none and leaves the others alone.
 */
class GoldenFormatsTest {

  private static final Path FIXTURES =
      TestTools.projectRoot()
          .resolve("runtime/examples/src/test/resources/golden/stored-formats.json");

  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("GoldenFormatsTest", InMemoryPersistence.config());
    serialization = SerializationExtension.get(testKit.system().classicSystem());
    // what a node knows once sharding has started the example types: their stored names
    StoredSamples.named(testKit.system().classicSystem());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyRecordedFormatIsStillReadToTheSameFields() throws Exception {
    List<JsonNode> fixtures = fixtures();
    assertThat(fixtures).as("fixtures in " + FIXTURES).isNotEmpty();
    for (JsonNode fixture : fixtures) {
      String label = fixture.get("class").asText() + " (" + fixture.get("manifest").asText() + ")";
      Object read;
      try {
        read =
            serialization
                .deserialize(
                    Base64.getDecoder().decode(fixture.get("bytes").asText()),
                    fixture.get("serializerId").asInt(),
                    fixture.get("manifest").asText())
                .get();
      } catch (Exception e) {
        throw new AssertionError(
            label + ": stored data of this type can no longer be read: " + e, e);
      }
      JsonNode now = EntityJson.MAPPER.valueToTree(read);
      List<String> lost = new ArrayList<>();
      missing("", fixture.get("json"), now, lost);
      assertThat(lost).as(label + ": fields stored then, read differently now " + now).isEmpty();
    }
  }

  @Test
  void everyStoredTypeHasARecordedFormat() throws Exception {
    // A type is recorded once per way it has been stored: under its class name (before logical
    // names) and under its logical name.
    Map<String, List<Object>> samples = new TreeMap<>();
    List<Object> stored = new ArrayList<>(StoredSamples.all());
    stored.addAll(StoredSamples.named(testKit.system().classicSystem()));
    for (Object sample : stored) {
      samples.computeIfAbsent(key(sample), c -> new ArrayList<>()).add(sample);
    }
    List<JsonNode> fixtures = fixtures();
    for (JsonNode fixture : fixtures) {
      samples.remove(fixture.get("class").asText() + " as " + fixture.get("manifest").asText());
    }
    if (!samples.isEmpty() && Boolean.getBoolean("starfish.golden.add")) {
      ArrayNode all = EntityJson.MAPPER.createArrayNode();
      fixtures.forEach(all::add);
      samples.values().forEach(ofClass -> ofClass.forEach(sample -> all.add(record(sample))));
      Files.createDirectories(FIXTURES.getParent());
      Files.writeString(
          FIXTURES,
          EntityJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n");
      return;
    }
    assertThat(samples.keySet())
        .as(
            "stored types without a golden fixture; record them with ./mvnw -pl runtime/examples"
                + " test -Dtest=GoldenFormatsTest -Dstarfish.golden.add=true and commit the file")
        .isEmpty();
  }

  private static String key(Object sample) {
    Serializer serializer = serialization.findSerializerFor(sample);
    return read(sample).getClass().getName() + " as " + Serializers.manifestFor(serializer, sample);
  }

  /** What {@code sample} is read back as (a named sample: the event or state it names). */
  private static Object read(Object sample) {
    Serializer serializer = serialization.findSerializerFor(sample);
    return serialization
        .deserialize(
            serialization.serialize(sample).get(),
            serializer.identifier(),
            Serializers.manifestFor(serializer, sample))
        .get();
  }

  private static ObjectNode record(Object sample) {
    Serializer serializer = serialization.findSerializerFor(sample);
    ObjectNode fixture = EntityJson.MAPPER.createObjectNode();
    fixture.put("class", read(sample).getClass().getName());
    fixture.put("serializerId", serializer.identifier());
    fixture.put("manifest", Serializers.manifestFor(serializer, sample));
    fixture.put("bytes", Base64.getEncoder().encodeToString(serialization.serialize(sample).get()));
    fixture.set("json", EntityJson.MAPPER.valueToTree(read(sample)));
    return fixture;
  }

  private static List<JsonNode> fixtures() throws Exception {
    List<JsonNode> fixtures = new ArrayList<>();
    if (Files.exists(FIXTURES)) {
      EntityJson.MAPPER.readTree(FIXTURES.toFile()).forEach(fixtures::add);
    }
    return fixtures;
  }

  /** Adds to {@code lost} each field of {@code then} that {@code now} lacks or holds otherwise. */
  private static void missing(String path, JsonNode then, JsonNode now, List<String> lost) {
    if (then.isObject()) {
      if (now == null || !now.isObject()) {
        lost.add(path + " (was an object)");
        return;
      }
      for (Map.Entry<String, JsonNode> field : then.properties()) {
        missing(path + "/" + field.getKey(), field.getValue(), now.get(field.getKey()), lost);
      }
    } else if (then.isArray()) {
      if (now == null || !now.isArray() || now.size() != then.size()) {
        lost.add(path + " (was " + then + ")");
        return;
      }
      for (int i = 0; i < then.size(); i++) {
        missing(path + "/" + i, then.get(i), now.get(i), lost);
      }
    } else if (then.isNumber() && now != null && now.isNumber()) {
      // JSON read from the file has int nodes where a long field renders long nodes
      if (then.decimalValue().compareTo(now.decimalValue()) != 0) {
        lost.add(path + " (was " + then + ", now " + now + ")");
      }
    } else if (!then.equals(now)) {
      lost.add(path + " (was " + then + ", now " + now + ")");
    }
  }
}
