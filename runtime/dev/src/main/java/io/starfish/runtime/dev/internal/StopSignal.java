package io.starfish.runtime.dev.internal;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Set by the shutdown hook (Ctrl-C, SIGTERM): the waits and the watch loop of the main thread see
 * it and end instead of starting or restarting nodes while everything stops.
 */
public final class StopSignal {

  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;

  public boolean isStopping() {
    return stopping;
  }

  public void beginStopping() {
    stopping = true;
  }

  public void markStopped() {
    stopped.countDown();
  }

  /** Waits up to {@code timeout} for the stop to finish; true if it has. */
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
