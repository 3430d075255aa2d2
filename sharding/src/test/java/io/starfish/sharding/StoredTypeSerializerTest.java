package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.internal.EntityState;
import io.starfish.sharding.internal.KeyRecorded;
import io.starfish.sharding.internal.SplitEvent;
import io.starfish.sharding.internal.StoredTypeSerializer;
import io.starfish.sharding.internal.StoredTypes;
import io.starfish.sharding.testkit.EntityTestKit;
import java.io.NotSerializableException;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonMigration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Events and snapshots stored under logical names ({@code shop.money-deposited#1}): the names, the
 * bytes, migrations of older versions, retired events read as others, and the errors when stored
 * data cannot be read.
 */
class StoredTypeSerializerTest {

  sealed interface Command permits Pay {}

  record Pay(long cents) implements Command {}

  sealed interface Event extends CborSerializable permits MoneyDeposited, Settled, Refund {}

  record MoneyDeposited(long cents) implements Event {}

  @TypeName("paid")
  record Settled(long cents) implements Event {}

  sealed interface Refund extends Event permits RefundIssued {}

  record RefundIssued(long cents, String reason) implements Refund {}

  record Till(long cents) implements CborSerializable {}

  static final EntityType<Command, Event, Till> SHOP =
      EntityType.of(
          "shop",
          Command.class,
          Event.class,
          new Till(0),
          (till, command) -> Outcome.persist(new Settled(((Pay) command).cents())),
          StoredTypeSerializerTest::apply);

  private static Till apply(Till till, Event event) {
    if (event instanceof MoneyDeposited deposited) {
      return new Till(till.cents() + deposited.cents());
    }
    if (event instanceof Settled settled) {
      return new Till(till.cents() + settled.cents());
    }
    return new Till(till.cents() - ((RefundIssued) event).cents());
  }

  /** Version 2 of RefundIssued: {@code reason} became {@code note}. */
  static final class RefundMigration extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      ObjectNode node = (ObjectNode) json;
      node.set("note", node.remove("reason"));
      return node;
    }
  }

  sealed interface EventV2 extends CborSerializable permits Deposit, Fee, RefundV2 {}

  @TypeName("money-deposited")
  record Deposit(long cents) implements EventV2 {}

  record Fee(long cents) implements EventV2 {}

  @TypeName("refund-issued")
  record RefundV2(long cents, String note) implements EventV2 {}

  record TillV2(long total) implements CborSerializable {}

  /** Version 2 of the till state: {@code cents} became {@code total}. */
  static final class TillMigration extends JacksonMigration {
    @Override
    public int currentVersion() {
      return 2;
    }

    @Override
    public JsonNode transform(int fromVersion, JsonNode json) {
      ObjectNode node = (ObjectNode) json;
      node.set("total", node.remove("cents"));
      return node;
    }
  }

  /** Version 2 of the shop: classes renamed, a field renamed, "paid" split, the state reshaped. */
  static final EntityType<Command, EventV2, TillV2> SHOP_V2 =
      EntityType.of(
              "shop",
              Command.class,
              EventV2.class,
              new TillV2(0),
              (till, command) -> Outcome.none(),
              (TillV2 till, EventV2 event) -> till)
          .withMigration(RefundV2.class, new RefundMigration())
          .withStateMigration(new TillMigration())
          .withRetiredEvent(
              "paid",
              paid ->
                  List.of(
                      new Deposit(paid.get("cents").asLong()),
                      new Fee(paid.get("cents").asLong() / 100)));

  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("StoredTypeSerializerTest", EntityTestKit.config());
    serialization = SerializationExtension.get(testKit.system().classicSystem());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private record Written(int serializerId, String manifest, byte[] bytes) {}

  private static Written write(EntityType<?, ?, ?> type, Object eventOrSnapshot) {
    Object stored =
        StoredTypes.get(testKit.system().classicSystem()).register(type).stored(eventOrSnapshot);
    Serializer serializer = serialization.findSerializerFor(stored);
    return new Written(
        serializer.identifier(),
        Serializers.manifestFor(serializer, stored),
        serialization.serialize(stored).get());
  }

  private static Object read(EntityType<?, ?, ?> type, Written written) throws Exception {
    StoredTypes.get(testKit.system().classicSystem()).register(type);
    return serialization
        .deserialize(written.bytes(), written.serializerId(), written.manifest())
        .get();
  }

  @Test
  void eventsAreStoredUnderTheirTypeNameOrTheirSimpleNameInKebabCaseNeverTheirClassName()
      throws Exception {
    Written deposited = write(SHOP, new MoneyDeposited(250));
    assertThat(deposited.serializerId()).isEqualTo(StoredTypeSerializer.ID);
    assertThat(deposited.manifest()).isEqualTo("shop.money-deposited#1");
    assertThat(write(SHOP, new Settled(5)).manifest()).isEqualTo("shop.paid#1");
    assertThat(write(SHOP, new RefundIssued(5, "broken")).manifest())
        .isEqualTo("shop.refund-issued#1");
    assertThat(new String(deposited.bytes(), java.nio.charset.StandardCharsets.ISO_8859_1))
        .doesNotContain("MoneyDeposited");
    assertThat(read(SHOP, deposited)).isEqualTo(new MoneyDeposited(250));
  }

  @Test
  void aSnapshotIsStarfishsFrameWithTheStateUnderItsNameAndNoClassName() throws Exception {
    KeyRecorded key = new KeyRecorded("k-1", "ab12", 1_795_000_000_000L, 3, null, null, "no funds");
    EntityState<Till> snapshot = new EntityState<>(new Till(70), 1, List.of(key), 4L);
    Written written = write(SHOP, snapshot);
    assertThat(written.manifest()).isEqualTo("shop.state#1");
    JsonNode frame = new ObjectMapper(new CBORFactory()).readTree(written.bytes());
    assertThat(frame.get("domain").toString()).isEqualTo("{\"cents\":70}");
    assertThat(frame.get("markers").asLong()).isEqualTo(1);
    EntityState<?> read = (EntityState<?>) read(SHOP, written);
    assertThat(read.domain()).isEqualTo(new Till(70));
    assertThat(read.markers()).isEqualTo(1);
    assertThat(read.deletedAtVersion()).isEqualTo(4L);
    assertThat(read.keys()).extracting(KeyRecorded::key).containsExactly("k-1");
    assertThat(read.keys().get(0).rejection()).isEqualTo("no funds");
  }

  @Test
  void aNewVersionOfTheTypeReadsTheOldOneThroughItsMigrationsAndRetiredNames() throws Exception {
    Written deposited = write(SHOP, new MoneyDeposited(250));
    Written refund = write(SHOP, new RefundIssued(40, "broken"));
    Written paid = write(SHOP, new Settled(300));
    Written snapshot = write(SHOP, new EntityState<>(new Till(510), 0, List.of(), null));

    // the class moved and was renamed; its @TypeName keeps the stored name
    assertThat(read(SHOP_V2, deposited)).isEqualTo(new Deposit(250));
    // version 1 of refund-issued, migrated to version 2
    assertThat(read(SHOP_V2, refund)).isEqualTo(new RefundV2(40, "broken"));
    // "paid" is retired: read as its two parts
    assertThat(read(SHOP_V2, paid))
        .isEqualTo(new SplitEvent(List.of(new Deposit(300), new Fee(3))));
    assertThat(EntityEvents.eventsIn(read(SHOP_V2, paid)))
        .containsExactly(new Deposit(300), new Fee(3));
    // the state of a version 1 snapshot, migrated
    assertThat(((EntityState<?>) read(SHOP_V2, snapshot)).domain()).isEqualTo(new TillV2(510));
    // and version 2 writes its own versions
    assertThat(write(SHOP_V2, new RefundV2(1, "x")).manifest()).isEqualTo("shop.refund-issued#2");
    assertThat(write(SHOP_V2, new EntityState<>(new TillV2(1), 0, List.of(), null)).manifest())
        .isEqualTo("shop.state#2");
  }

  @Test
  void dataThatCannotBeReadFailsWithTheReason() {
    Written fromTheFuture = write(SHOP_V2, new RefundV2(1, "x"));
    assertThatThrownBy(() -> read(SHOP, fromTheFuture))
        .isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("shop.refund-issued#2")
        .hasMessageContaining("newer version");

    Written paid = write(SHOP, new Settled(300));
    EntityType<Command, EventV2, TillV2> forgotten =
        EntityType.of(
            "shop",
            Command.class,
            EventV2.class,
            new TillV2(0),
            (till, command) -> Outcome.none(),
            (TillV2 till, EventV2 event) -> till);
    assertThatThrownBy(() -> read(forgotten, paid))
        .isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("shop.paid#1");
  }

  sealed interface Clashing extends CborSerializable permits Added, Other {}

  record Added(long n) implements Clashing {}

  @TypeName("added")
  record Other(long n) implements Clashing {}

  interface Open extends CborSerializable {}

  @Test
  void aDeclarationWhoseEventsCannotAllBeNamedIsRefused() {
    assertThatThrownBy(
            () ->
                EntityType.of(
                    "clash",
                    Command.class,
                    Clashing.class,
                    new Till(0),
                    (till, command) -> Outcome.none(),
                    (Till till, Clashing event) -> till))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("clash.added");
    assertThatThrownBy(
            () ->
                EntityType.of(
                    "open",
                    Command.class,
                    Open.class,
                    new Till(0),
                    (till, command) -> Outcome.none(),
                    (Till till, Open event) -> till))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not sealed");
    assertThatThrownBy(() -> SHOP.withRetiredEvent("paid", json -> List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shop.paid");
  }
}
