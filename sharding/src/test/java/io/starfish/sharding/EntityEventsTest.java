package io.starfish.sharding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Where a resumed type stream starts: {@link EntityEvents#earlier}. */
class EntityEventsTest {

  @Test
  void aResumeWithoutOverlapStartsExactlyAtTheOffset() {
    UUID offset = Uuids.timeBased();
    assertThat(EntityEvents.earlier(offset, Duration.ZERO)).isEqualTo(offset);
  }

  @Test
  void aResumeWithOverlapStartsBeforeEveryEventOfTheOverlap() {
    UUID offset = Uuids.timeBased();
    UUID start = EntityEvents.earlier(offset, Duration.ofSeconds(10));
    assertThat(Uuids.unixTimestamp(start)).isEqualTo(Uuids.unixTimestamp(offset) - 10_000);
    // the smallest time UUID of that millisecond: every event written in it comes after it
    assertThat(start).isEqualTo(Uuids.startOf(Uuids.unixTimestamp(offset) - 10_000));
    UUID eventInTheOverlap = Uuids.endOf(Uuids.unixTimestamp(offset) - 9_999);
    assertThat(Uuids.unixTimestamp(eventInTheOverlap)).isGreaterThan(Uuids.unixTimestamp(start));
  }

  @Test
  void anOffsetThatIsNotATimeUuidIsRefused() {
    assertThatThrownBy(() -> EntityEvents.earlier(UUID.randomUUID(), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a time UUID");
  }
}
