package io.starfish.runtime.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.runtime.examples.Reservation.Confirm;
import io.starfish.runtime.examples.Reservation.Expire;
import io.starfish.runtime.examples.Reservation.Hold;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.testkit.EntityTestKit;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reservation entity and its durable timer, through the public {@link EntityTestKit}: the hold
 * schedules its expiry, a confirmation cancels it, a firing expires the hold once however often it
 * is delivered, and the timer survives a restart.
 */
class ReservationTest {

  private static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");

  private static ActorTestKit testKit;
  private static int ids;
  private EntityTestKit<Reservation.Command, Reservation.Event, Reservation.State> reservation;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("ReservationTest", EntityTestKit.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newReservation() {
    reservation = EntityTestKit.of(testKit.system(), Reservation.TYPE, "r-" + ++ids);
    at(T0);
  }

  @AfterEach
  void realClock() {
    reservation.setClock(Clock.systemUTC());
  }

  private void at(Instant now) {
    reservation.setClock(Clock.fixed(now, ZoneOffset.UTC));
  }

  @Test
  void aHoldSchedulesItsExpiryAndItsFiringExpiresItOnceHoweverOftenItIsDelivered() {
    var held = reservation.run(new Hold(2, 600));
    assertThat(held.events()).containsExactly(new Reservation.Held(2, "2030-01-01T10:10:00Z"));
    assertThat(reservation.pendingTimers())
        .containsExactly(
            new EntityTestKit.ScheduledTimer(
                "expiry", Instant.parse("2030-01-01T10:10:00Z"), new Expire()));

    long seq = reservation.timerSeq("expiry");
    at(Instant.parse("2030-01-01T10:10:01Z"));
    var fired = reservation.fireTimer("expiry");
    assertThat(fired.reply()).isInstanceOf(EntityResult.Accepted.class);
    assertThat(fired.events()).containsExactly(new Reservation.Expired());
    assertThat(reservation.state().status()).isEqualTo("expired");
    assertThat(reservation.pendingTimers()).isEmpty();

    // the same firing delivered again (at least once): nothing more is applied
    var again = reservation.deliverTimer("expiry", seq);
    assertThat(again.reply()).isInstanceOf(EntityResult.Current.class);
    assertThat(again.hasNoEvents()).isTrue();
    reservation.restart();
    assertThat(reservation.deliverTimer("expiry", seq).hasNoEvents()).isTrue();
    assertThat(reservation.journal())
        .containsExactly(
            new Reservation.Held(2, "2030-01-01T10:10:00Z"), new Reservation.Expired());

    // after expiry, commands are refused (409)
    assertThat(reservation.run(new Confirm()).reply()).isInstanceOf(EntityResult.Rejected.class);
    assertThat(reservation.run(new Hold(1, 60)).reply()).isInstanceOf(EntityResult.Rejected.class);
  }

  @Test
  void aConfirmationInTimeCancelsTheTimer() {
    reservation.run(new Hold(3, 60));
    long seq = reservation.timerSeq("expiry");
    at(T0.plusSeconds(59));
    var confirmed = reservation.run(new Confirm());
    assertThat(confirmed.events()).containsExactly(new Reservation.Confirmed());
    assertThat(reservation.state().status()).isEqualTo("confirmed");
    assertThat(reservation.pendingTimers()).isEmpty();

    // a delivery of the cancelled timer (its index row outlived the cancel) changes nothing
    at(T0.plusSeconds(61));
    assertThat(reservation.deliverTimer("expiry", seq).hasNoEvents()).isTrue();
    assertThat(reservation.state().status()).isEqualTo("confirmed");
  }

  @Test
  void aConfirmationAfterTheExpiryTimeIsRefusedEvenBeforeTheTimerFired() {
    reservation.run(new Hold(1, 60));
    at(T0.plusSeconds(60));
    var late = reservation.run(new Confirm());
    assertThat(late.reply()).isInstanceOf(EntityResult.Rejected.class);
    assertThat(((EntityResult.Rejected) late.reply()).reason()).contains("expired");
    assertThat(reservation.pendingTimers()).hasSize(1);
  }

  @Test
  void theTimerSurvivesARestartAndFiresAfterIt() {
    reservation.run(new Hold(1, 30));
    reservation.restart();
    assertThat(reservation.pendingTimers())
        .extracting(EntityTestKit.ScheduledTimer::timerId)
        .containsExactly("expiry");
    at(T0.plusSeconds(31));
    reservation.fireTimer("expiry");
    assertThat(reservation.state().status()).isEqualTo("expired");
  }

  @Test
  void clientsCannotSendTheTimersCommandAndBadHoldsChangeNothing() {
    var expire = reservation.runJson("{\"type\":\"expire\"}");
    assertThat(expire.reply()).isInstanceOf(EntityResult.Invalid.class);
    assertThat(((EntityResult.Invalid) expire.reply()).reason())
        .contains("only by the entity's own timers");
    assertThat(reservation.run(new Hold(0, 60)).reply()).isInstanceOf(EntityResult.Invalid.class);
    assertThat(reservation.run(new Hold(1, 0)).reply()).isInstanceOf(EntityResult.Invalid.class);
    assertThat(reservation.journal()).isEmpty();
    assertThat(reservation.pendingTimers()).isEmpty();
  }
}
