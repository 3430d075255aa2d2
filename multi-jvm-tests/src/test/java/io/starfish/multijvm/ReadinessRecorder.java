package io.starfish.multijvm;

import io.starfish.multijvm.ForkedCluster.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Polls {@code /health/ready} of every live node every 200 ms, as a load balancer would, and
 * records each answer that is not 200: for checks that readiness stayed green through a fault.
 */
final class ReadinessRecorder implements AutoCloseable {

  /** A node that was not ready: when ({@link System#nanoTime()}), which, and what it answered. */
  record NotReady(long nanos, int node, int status, String body) {}

  private final Queue<NotReady> notReady = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  ReadinessRecorder(ForkedCluster cluster) {
    for (Node node : cluster.nodes()) {
      Thread poller =
          new Thread(
              () -> {
                while (running.get()) {
                  if (node.isAlive() && !node.isPaused()) {
                    int status;
                    String body;
                    try {
                      var answer = cluster.get(node, "/health/ready", Duration.ofSeconds(2));
                      status = answer.statusCode();
                      body = answer.body();
                    } catch (java.io.IOException e) {
                      status = -1;
                      body = e.toString();
                    }
                    if (status != 200 && running.get()) {
                      notReady.add(new NotReady(System.nanoTime(), node.index, status, body));
                    }
                  }
                  try {
                    Thread.sleep(200); // the polling interval of a load balancer's health check
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "readiness-" + node.index);
      poller.setDaemon(true);
      threads.add(poller);
      poller.start();
    }
  }

  /** Answers other than 200 between two {@link System#nanoTime()} instants. */
  List<NotReady> between(long fromNanos, long toNanos) {
    return notReady.stream()
        .filter(n -> n.nanos() - fromNanos >= 0 && toNanos - n.nanos() >= 0)
        .toList();
  }

  @Override
  public void close() {
    running.set(false);
    threads.forEach(Thread::interrupt);
  }
}
