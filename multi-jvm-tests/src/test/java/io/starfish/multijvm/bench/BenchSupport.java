package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.function.IntFunction;

/** What the benchmarks share: bulk HTTP requests, the cluster's entity count, progress lines. */
final class BenchSupport {

  private BenchSupport() {}

  /**
   * Sends requests 0..count-1 ({@code request} builds each), {@code inFlight} at a time, and
   * returns the indexes of those that got no 200. Prints progress every {@code progressEvery}
   * requests (0: never).
   */
  static List<Integer> sendAll(
      String what, int count, int inFlight, int progressEvery, IntFunction<HttpRequest> request)
      throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Semaphore slots = new Semaphore(inFlight);
    Queue<Integer> failed = new ConcurrentLinkedQueue<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      int index = i;
      slots.acquire();
      http.sendAsync(request.apply(index), HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                if (error != null || response.statusCode() != 200) {
                  failed.add(index);
                }
                slots.release();
              });
      if (progressEvery > 0 && (i + 1) % progressEvery == 0) {
        say(
            String.format(
                "%s: %d of %d sent (%.0f/s), %d failed",
                what, i + 1, count, (i + 1) / seconds(start), failed.size()));
      }
    }
    slots.acquire(inFlight);
    return List.copyOf(failed);
  }

  /** Seconds since {@code startNanos} (a System.nanoTime()). */
  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Running entities of {@code type}, over all nodes, by {@code observer}'s shard view. */
  static long runningEntities(ForkedCluster cluster, ForkedCluster.Node observer, String type) {
    long[] total = {0};
    cluster
        .getJson(observer, "/api/v1/cluster/shards")
        .ifPresent(
            shards -> {
              for (JsonNode node : shards.path(type)) {
                node.path("shards").properties().forEach(s -> total[0] += s.getValue().asLong());
              }
            });
    return total[0];
  }

  static void say(String line) {
    System.out.println("[bench] " + line);
  }
}
