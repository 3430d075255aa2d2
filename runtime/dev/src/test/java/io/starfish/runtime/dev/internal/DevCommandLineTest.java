package io.starfish.runtime.dev.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The options parse to the same settings, messages and exit codes as the hand-written parser. */
class DevCommandLineTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private DevCommandLine.Outcome parse(String... args) {
    return DevCommandLine.parse(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void noArgumentsGiveTheDefaults() {
    assertThat(parse().options()).contains(new DevOptions(3, 384, 1, false, true));
    assertThat(DevOptions.defaults()).isEqualTo(new DevOptions(3, 384, 1, false, true));
  }

  @Test
  void everyOptionIsRead() {
    assertThat(
            parse(
                    "--nodes",
                    "5",
                    "--node-heap-mb",
                    "512",
                    "--cassandra-nodes",
                    "3",
                    "--no-self-heal",
                    "--no-build")
                .options())
        .contains(new DevOptions(5, 512, 3, false, false));
    assertThat(parse("--join", "--cassandra-nodes", "2").options())
        .contains(new DevOptions(3, 384, 2, true, true));
  }

  @Test
  void aRepeatedOptionsLastValueWins() {
    assertThat(parse("--nodes", "2", "--nodes", "4", "--join", "--join").options())
        .contains(new DevOptions(4, 384, 1, true, true));
  }

  @Test
  void helpPrintsTheUsageAndExitsWithZero() {
    for (String help : new String[] {"-h", "--help"}) {
      DevCommandLine.Outcome outcome = parse(help);
      assertThat(outcome.options()).isEmpty();
      assertThat(outcome.exitCode()).isZero();
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("./starfish dev", "--nodes");
  }

  @Test
  void helpWinsOverAnOutOfRangeValueBeforeIt() {
    assertThat(parse("--nodes", "0", "--help").exitCode()).isZero();
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    DevCommandLine.Outcome outcome = parse("--bogus");
    assertThat(outcome.options()).isEmpty();
    assertThat(outcome.exitCode()).isEqualTo(2);
    assertThat(err()).contains("unknown option --bogus");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--nodes");
  }

  @Test
  void argumentsThatPicocliWouldTreatSpeciallyAreUnknownOptions() {
    assertThat(parse("--").exitCode()).isEqualTo(2);
    assertThat(parse("@some-file").exitCode()).isEqualTo(2);
    assertThat(err()).contains("unknown option --", "unknown option @some-file");
  }

  @Test
  void aMissingValueIsAUsageError() {
    assertThat(parse("--nodes").exitCode()).isEqualTo(2);
    assertThat(err()).contains("--nodes needs a value");
  }

  @Test
  void countsOutOfRangeAreUsageErrors() {
    assertThat(parse("--nodes", "0").exitCode()).isEqualTo(2);
    assertThat(parse("--nodes", "10").exitCode()).isEqualTo(2);
    assertThat(parse("--cassandra-nodes", "6").exitCode()).isEqualTo(2);
    assertThat(err())
        .contains("--nodes must be between 1 and 9", "--cassandra-nodes must be between 1 and 5");
    assertThat(parse("--nodes", "9", "--cassandra-nodes", "5").options()).isPresent();
  }

  @Test
  void aValueThatIsNoNumberIsAUsageError() {
    assertThat(parse("--nodes", "three").exitCode()).isEqualTo(2);
    assertThat(err()).contains("--nodes");
  }
}
