package io.starfish.sharding.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.jackson.JacksonMigration;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * Stores events and snapshots under logical names: the manifest is {@code <type>.<name>#<version>}
 * (e.g. {@code account.deposited#1}), the bytes the object's CBOR through Pekko's {@code
 * jackson-cbor} object mapper. A snapshot's bytes are Starfish's frame ({@code markers}, {@code
 * keys}, {@code deletedAtVersion}, {@code timers}, {@code timerSeq}) with the developer's state
 * under {@code domain}, without a class name. Reading looks the name up in {@link StoredTypes},
 * runs the registered migration when the stored version is not the current one, and gives the event
 * or {@link EntityState} itself.
 *
 * <p>Data written earlier under Java class names has Pekko's jackson-cbor serializer id and is
 * still read by it.
 */
public final class StoredTypeSerializer extends SerializerWithStringManifest {

  /** Serializer id in the journal's ser_id column. Never change it: stored rows name it. */
  public static final int ID = 7341;

  private static final TypeReference<List<KeyRecorded>> KEYS = new TypeReference<>() {};
  private static final TypeReference<List<PendingTimer>> TIMERS = new TypeReference<>() {};

  private final ExtendedActorSystem system;
  private volatile ObjectMapper mapper;

  public StoredTypeSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return ID;
  }

  @Override
  public String manifest(Object o) {
    return stored(o).name().manifest();
  }

  @Override
  public byte[] toBinary(Object o) {
    Stored stored = stored(o);
    try {
      if (stored.value() instanceof EntityState<?> state) {
        ObjectNode frame = mapper().createObjectNode();
        frame.put("markers", state.markers());
        frame.set("keys", mapper().valueToTree(state.keys()));
        if (state.deletedAtVersion() != null) {
          frame.put("deletedAtVersion", state.deletedAtVersion());
        }
        if (!state.timers().isEmpty() || state.timerSeq() != 0) {
          frame.set("timers", mapper().valueToTree(state.timers()));
          frame.put("timerSeq", state.timerSeq());
        }
        frame.set("domain", mapper().valueToTree(state.domain()));
        return mapper().writeValueAsBytes(frame);
      }
      return mapper().writeValueAsBytes(stored.value());
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot store " + stored.name().manifest() + ": " + e, e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    int hash = manifest.lastIndexOf('#');
    String name = hash < 0 ? manifest : manifest.substring(0, hash);
    int version = hash < 0 ? 1 : Integer.parseInt(manifest.substring(hash + 1));
    Optional<StoredNames.Reading> reading = StoredTypes.get(system).reading(name);
    if (reading.isEmpty()) {
      throw new NotSerializableException(
          "no entity type on this node reads the stored type "
              + manifest
              + ": is its entity type declared here, and the event (or its @TypeName, or a"
              + " retired name) still known to it?");
    }
    try {
      JsonNode json = mapper().readTree(bytes);
      if (reading.get() instanceof StoredNames.EventReading event) {
        return mapper()
            .treeToValue(migrated(manifest, event.migration(), version, json), event.type());
      }
      if (reading.get() instanceof StoredNames.StateReading state) {
        return state(manifest, state, version, (ObjectNode) json);
      }
      List<?> events = ((StoredNames.RetiredReading) reading.get()).readAs().apply(json);
      return events.size() == 1 ? events.get(0) : new SplitEvent(events);
    } catch (IOException | RuntimeException e) {
      NotSerializableException failure =
          new NotSerializableException("cannot read stored " + manifest + ": " + e);
      failure.initCause(e);
      throw failure;
    }
  }

  private EntityState<Object> state(
      String manifest, StoredNames.StateReading reading, int version, ObjectNode frame)
      throws IOException {
    JsonNode domain = migrated(manifest, reading.migration(), version, frame.get("domain"));
    JsonNode deleted = frame.get("deletedAtVersion");
    return new EntityState<>(
        mapper().treeToValue(domain, reading.type()),
        frame.path("markers").asLong(),
        frame.hasNonNull("keys") ? mapper().convertValue(frame.get("keys"), KEYS) : List.of(),
        deleted == null || deleted.isNull() ? null : deleted.asLong(),
        frame.hasNonNull("timers") ? mapper().convertValue(frame.get("timers"), TIMERS) : List.of(),
        frame.path("timerSeq").asLong());
  }

  private static JsonNode migrated(
      String manifest, JacksonMigration migration, int version, JsonNode json)
      throws NotSerializableException {
    int current = migration == null ? 1 : migration.currentVersion();
    if (version == current) {
      return json;
    }
    int newest = migration == null ? 1 : migration.supportedForwardVersion();
    if (version > newest) {
      throw new NotSerializableException(
          manifest
              + " was written by a newer version of the code (this node reads up to version "
              + newest
              + "): deploy the readers first (docs/schema-evolution.md)");
    }
    if (migration == null) {
      throw new NotSerializableException(
          manifest + " is an older version, and no migration is registered for it");
    }
    return migration.transform(version, json);
  }

  private static Stored stored(Object o) {
    if (o instanceof Stored stored) {
      return stored;
    }
    throw new IllegalArgumentException(
        "StoredTypeSerializer writes only Starfish's stored events and snapshots, not "
            + o.getClass().getName());
  }

  private ObjectMapper mapper() {
    ObjectMapper m = mapper;
    if (m == null) {
      // the mapper Pekko's own jackson-cbor serializer uses (same modules and settings)
      m =
          JacksonObjectMapperProvider.get(system)
              .getOrCreate("jackson-cbor", Optional.of(new CBORFactory()));
      mapper = m;
    }
    return m;
  }
}
