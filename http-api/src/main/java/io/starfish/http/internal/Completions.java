package io.starfish.http.internal;

import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;

/**
 * Callbacks on the futures Pekko's Java API returns, run where the future completes. Those futures
 * wrap Scala ones, and every non-async stage on them ({@code whenComplete}, {@code thenApply}) is
 * turned into its async form: one hop to the common ForkJoinPool per stage, per request (section
 * 10.2 of docs/benchmarks.md). A callback that only counts or completes another future does not
 * need its own task.
 */
public final class Completions {

  private Completions() {}

  /**
   * {@code stage}'s outcome, completed only after {@code callback} has run with it on the thread
   * that completed {@code stage}: whoever waits for the result sees the callback's effect (e.g. a
   * released slot), without a hop to another thread. A callback that throws fails the result, as
   * {@code whenComplete} would.
   */
  public static <T> CompletionStage<T> afterRunning(
      CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> callback) {
    return FutureConverters.asJava(
        FutureConverters.asScala(stage)
            .transform(
                outcome -> {
                  if (outcome.isSuccess()) {
                    callback.accept(outcome.get(), null);
                  } else {
                    callback.accept(null, outcome.failed().get());
                  }
                  return outcome;
                },
                ExecutionContext.parasitic$.MODULE$));
  }

  /**
   * Runs {@code callback} with the outcome (a value or a failure) on the thread that completes
   * {@code stage}, or at once if it is complete. Keep the callback short and non-blocking: it may
   * run on an actor's or the remoting's thread.
   */
  public static <T> void onComplete(
      CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> callback) {
    FutureConverters.asScala(stage)
        .onComplete(
            outcome -> {
              if (outcome.isSuccess()) {
                callback.accept(outcome.get(), null);
              } else {
                callback.accept(null, outcome.failed().get());
              }
              return BoxedUnit.UNIT;
            },
            ExecutionContext.parasitic$.MODULE$);
  }
}
