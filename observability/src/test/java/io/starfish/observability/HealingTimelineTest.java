package io.starfish.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HealingTimelineTest {

  private static HealingEvent event(long at, HealingEvent.Kind kind) {
    return new HealingEvent(at, kind, "pekko://starfish@127.0.0.1:1", "d", null, null);
  }

  @Test
  void keepsTheNewestStepsUpToItsSizeOrderedByWhenTheyHappened() {
    HealingTimeline timeline =
        new HealingTimeline(
            new TimelineSettings(
                3, Duration.ofSeconds(2), Duration.ofMillis(250), Duration.ofMinutes(2)));
    timeline.record(event(1_000, HealingEvent.Kind.MEMBER_UNREACHABLE));
    timeline.record(event(2_000, HealingEvent.Kind.MEMBER_DOWNED));
    timeline.record(event(3_000, HealingEvent.Kind.SHARDS_REALLOCATED));
    // noticed after the next step was recorded, stamped with when it happened
    timeline.record(event(2_500, HealingEvent.Kind.MEMBER_REMOVED));

    assertThat(timeline.events())
        .extracting(HealingEvent::kind)
        .containsExactly(
            HealingEvent.Kind.MEMBER_DOWNED,
            HealingEvent.Kind.MEMBER_REMOVED,
            HealingEvent.Kind.SHARDS_REALLOCATED);
    assertThat(timeline.events().get(0).time()).isEqualTo("1970-01-01T00:00:02Z");
  }
}
