package io.starfish.runtime.internal;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * Keeps CompletableFuture from starting a thread per asynchronous stage.
 *
 * <p>A CompletableFuture runs its async stages, and every stage of the CompletionStages that
 * Pekko's Java API returns (Scala's converters turn {@code thenApply}, {@code whenComplete} and the
 * rest into their async forms), on the JVM's common ForkJoinPool, but only when that pool's
 * parallelism is above 1. It is {@code availableProcessors - 1}, so on a machine or container with
 * one or two CPUs the JDK falls back to a new thread for every such stage: measured on the 2-core
 * benchmark machine, 1.3 thread starts per HTTP request on the node taking the traffic, 65 a second
 * at 50 requests a second (docs/benchmarks.md). Two common-pool threads cost nothing there, and
 * each stage then is a task on a pool instead of a thread's start and end.
 */
public final class CommonPool {

  static final String PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private CommonPool() {}

  /**
   * Sets the common pool's parallelism to 2 when the JVM would make it lower and the user has not
   * chosen one. Takes effect only if called before anything in the JVM used the common pool (the
   * node's {@code main} calls it first); {@link #problem} tells whether it did.
   */
  public static void ensureParallelism() {
    if (System.getProperty(PARALLELISM) == null
        && Runtime.getRuntime().availableProcessors() <= 2) {
      System.setProperty(PARALLELISM, "2");
    }
  }

  /** Why async stages would each start a thread in this JVM, if they would. */
  public static Optional<String> problem() {
    if (new CompletableFuture<Void>().defaultExecutor() instanceof ForkJoinPool) {
      return Optional.empty();
    }
    return Optional.of(
        "the common ForkJoinPool has parallelism "
            + ForkJoinPool.getCommonPoolParallelism()
            + " ("
            + Runtime.getRuntime().availableProcessors()
            + " CPUs), so every asynchronous CompletableFuture stage starts a new thread;"
            + " start the JVM with -D"
            + PARALLELISM
            + "=2");
  }
}
