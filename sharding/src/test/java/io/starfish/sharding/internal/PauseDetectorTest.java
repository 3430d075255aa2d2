package io.starfish.sharding.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PauseDetectorTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final PauseDetector detector =
      new PauseDetector(
          new PauseDetector.Settings(
              true, Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofMillis(100)),
          now::get);

  private void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  /** Ticks every 100 ms for {@code duration}, as the ticker thread does while the JVM runs. */
  private void run(Duration duration) {
    for (long t = 0; t < duration.toMillis(); t += 100) {
      advance(Duration.ofMillis(100));
      detector.tick();
    }
  }

  @Test
  void aRunningNodeWithRegularTicksServes() {
    run(Duration.ofSeconds(10));
    assertThat(detector.problem(true, true)).isEmpty();
  }

  @Test
  void shortHiccupsBelowTheThresholdAreNoPause() {
    run(Duration.ofSeconds(1));
    advance(Duration.ofMillis(1900));
    detector.tick();
    assertThat(detector.problem(true, true)).isEmpty();
  }

  @Test
  void afterAPauseCommandsAreRefusedUntilConfirmAfterHasPassedAndTheViewIsClean() {
    run(Duration.ofSeconds(1));
    advance(Duration.ofSeconds(25)); // SIGSTOP ... SIGCONT

    // The entity runs before the ticker after the wake-up: the overdue tick counts.
    assertThat(detector.problem(true, true))
        .hasValueSatisfying(p -> assertThat(p).contains("paused for 25000 ms"));
    run(Duration.ofSeconds(2));
    assertThat(detector.problem(true, true)).isPresent();

    run(Duration.ofMillis(1100)); // confirm-after has passed
    assertThat(detector.problem(true, false))
        .hasValueSatisfying(p -> assertThat(p).contains("a member is unreachable"));
    assertThat(detector.problem(false, true))
        .hasValueSatisfying(p -> assertThat(p).contains("not Up"));
    assertThat(detector.problem(true, true)).isEmpty();

    // Confirmed once: it stays confirmed.
    run(Duration.ofSeconds(1));
    assertThat(detector.problem(true, false)).isEmpty();
  }

  @Test
  void aDisabledDetectorNeverRefuses() {
    PauseDetector off =
        new PauseDetector(
            new PauseDetector.Settings(
                false, Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofMillis(100)),
            now::get);
    advance(Duration.ofSeconds(30));
    assertThat(off.problem(true, true)).isEmpty();
  }
}
