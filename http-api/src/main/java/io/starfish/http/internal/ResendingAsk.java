package io.starfish.http.internal;

import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Asks an entity, and sends the same message again every {@code resendAfter} until the first answer
 * or the deadline. Only for messages that are safe to repeat: reads, and commands with an
 * idempotency key (the entity applies a key once and answers a repeat with the first outcome).
 *
 * <p>Why: Pekko Cluster Sharding drops the messages a shard region holds for a shard at the moment
 * that shard starts a hand-off ("Dropping buffered messages ... to avoid re-ordering"), so during a
 * rebalance or a graceful leave a request could wait for an answer that never comes and get 503 at
 * the ask timeout although nothing was wrong. Sent again, it reaches the shard's new home.
 */
public final class ResendingAsk {

  private ResendingAsk() {}

  /**
   * Completes with the first answer; fails with the last attempt's failure once every attempt has
   * failed (a {@link TimeoutException} at the deadline), or at once with any other failure.
   */
  public static CompletionStage<EntityResult> ask(
      EntityGateway gateway,
      String type,
      String id,
      Function<ActorRef<EntityResult>, EntityMessage> message,
      Duration timeout,
      Duration resendAfter) {
    if (resendAfter.isZero() || resendAfter.compareTo(timeout) >= 0) {
      return gateway.ask(type, id, message, timeout);
    }
    Attempts attempts =
        new Attempts(
            gateway, type, id, message, System.nanoTime() + timeout.toNanos(), resendAfter);
    attempts.send();
    return attempts.result;
  }

  private static final class Attempts {
    private final EntityGateway gateway;
    private final String type;
    private final String id;
    private final Function<ActorRef<EntityResult>, EntityMessage> message;
    private final long deadline;
    private final Duration resendAfter;
    private final CompletableFuture<EntityResult> result = new CompletableFuture<>();

    /** Attempts sent or scheduled that have not ended yet. */
    private final AtomicInteger open = new AtomicInteger(1);

    Attempts(
        EntityGateway gateway,
        String type,
        String id,
        Function<ActorRef<EntityResult>, EntityMessage> message,
        long deadline,
        Duration resendAfter) {
      this.gateway = gateway;
      this.type = type;
      this.id = id;
      this.message = message;
      this.deadline = deadline;
      this.resendAfter = resendAfter;
    }

    /** Sends one attempt (counted in {@link #open} by whoever scheduled it). */
    void send() {
      long remaining = deadline - System.nanoTime();
      if (result.isDone() || remaining <= 0) {
        ended(new TimeoutException("no answer before the deadline"));
        return;
      }
      if (remaining > resendAfter.toNanos()) {
        open.incrementAndGet();
        CompletableFuture.delayedExecutor(resendAfter.toNanos(), TimeUnit.NANOSECONDS)
            .execute(this::send);
      }
      CompletionStage<EntityResult> answer;
      try {
        answer = gateway.ask(type, id, message, Duration.ofNanos(remaining));
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      Completions.onComplete(
          answer,
          (reply, failure) -> {
            if (failure == null) {
              result.complete(reply);
            } else if (!(cause(failure) instanceof TimeoutException)) {
              result.completeExceptionally(failure);
            }
            ended(failure);
          });
    }

    private void ended(Throwable failure) {
      if (open.decrementAndGet() == 0 && failure != null) {
        result.completeExceptionally(failure);
      }
    }

    private static Throwable cause(Throwable failure) {
      return failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause()
          : failure;
    }
  }
}
