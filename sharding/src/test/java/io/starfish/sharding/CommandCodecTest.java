package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandCodecTest {

  sealed interface Command permits Deposit, SetOwner, Nested {}

  record Deposit(long amount) implements Command {}

  @JsonTypeName("set-owner")
  record SetOwner(String owner) implements Command {}

  sealed interface Nested extends Command permits Close {}

  record Close() implements Nested {}

  private static final CommandCodec CODEC = CommandCodec.forSealed(Command.class);

  private static JsonNode json(String text) throws Exception {
    return EntityJson.COMMANDS.readTree(text);
  }

  @Test
  void namesComeFromPermittedRecordsIncludingNestedOnesAndAnnotations() {
    assertThat(CODEC.names()).containsExactlyInAnyOrder("deposit", "set-owner", "close");
  }

  @Test
  void aValidCommandDecodesToItsRecord() throws Exception {
    CommandCodec.Decoded decoded = CODEC.decode(json("{\"type\":\"deposit\",\"amount\":50}"));
    assertThat(decoded.ok()).isTrue();
    assertThat(decoded.command()).isEqualTo(new Deposit(50));
    assertThat(CODEC.decode(json("{\"type\":\"close\"}")).command()).isEqualTo(new Close());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "[]                                         | must be a JSON object",
        "{}                                         | missing field \"type\"",
        "{\"type\":7}                               | field \"type\" must be a string",
        "{\"type\":\"fly\"}                         | unknown command \"fly\"; known commands:",
        "{\"type\":\"deposit\"}                     | missing field \"amount\"",
        "{\"type\":\"deposit\",\"amount\":null}     | missing field \"amount\"",
        "{\"type\":\"deposit\",\"amount\":\"50\"}   | wrong type (expected an integer)",
        "{\"type\":\"deposit\",\"amount\":1.5}      | field \"amount\"",
        "{\"type\":\"deposit\",\"amount\":true}     | wrong type (expected an integer)",
        "{\"type\":\"deposit\",\"amount\":1e400}    | field \"amount\"",
        "{\"type\":\"deposit\",\"amount\":99999999999999999999} | out of range",
        "{\"type\":\"deposit\",\"amount\":1,\"x\":2} | unknown field \"x\"",
        "{\"type\":\"set-owner\",\"owner\":5}       | (expected a string)",
      })
  void malformedCommandsAreRefusedWithAMessageNamingTheProblem(String body, String expected)
      throws Exception {
    CommandCodec.Decoded decoded = CODEC.decode(json(body));
    assertThat(decoded.ok()).isFalse();
    assertThat(decoded.error()).contains(expected);
  }

  @Test
  void echoedClientInputIsAbbreviated() throws Exception {
    String longName = "x".repeat(10_000);
    CommandCodec.Decoded decoded = CODEC.decode(json("{\"type\":\"" + longName + "\"}"));
    assertThat(decoded.error()).hasSizeLessThan(300);
  }

  @Test
  void anOpenCodecPassesAnyObjectWithAStringType() throws Exception {
    CommandCodec open = CommandCodec.open();
    assertThat(open.decode(json("{\"type\":\"anything\",\"x\":1}")).ok()).isTrue();
    assertThat(open.decode(json("{\"x\":1}")).ok()).isFalse();
  }

  @Test
  void encodeIsTheInverseOfDecode() throws Exception {
    JsonNode encoded = CommandCodec.encode(new SetOwner("ada"));
    assertThat(encoded.toString()).isEqualTo("{\"type\":\"set-owner\",\"owner\":\"ada\"}");
    assertThat(CODEC.decode(encoded).command()).isEqualTo(new SetOwner("ada"));
  }
}
