package io.starfish.multijvm.bench;

import io.starfish.multijvm.ForkedCluster;
import io.starfish.persistence.testing.TestCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@link PlainPekkoNode} JVMs on loopback, started and stopped like ForkedCluster's: the plain
 * Pekko baseline of the throughput and memory benchmarks.
 */
final class PlainPekkoCluster implements AutoCloseable {
  final List<Process> processes = new ArrayList<>();
  final List<Integer> remotePorts = new ArrayList<>();
  final List<Integer> httpPorts = new ArrayList<>();
  private final int size;
  private final int heapMb;
  private final Map<String, String> environment;
  private final String contactPoint;
  private final HttpClient http = HttpClient.newHttpClient();

  /**
   * @param environment added to each node's (JVM options in JAVA_TOOL_OPTIONS, keyspaces)
   * @param contactPoint "host:port" of the Cassandra the nodes write to
   */
  PlainPekkoCluster(int size, int heapMb, Map<String, String> environment, String contactPoint) {
    this.size = size;
    this.heapMb = heapMb;
    this.environment = environment;
    this.contactPoint = contactPoint;
    for (int i = 0; i < size; i++) {
      remotePorts.add(TestCassandra.freePort());
      httpPorts.add(TestCassandra.freePort());
    }
  }

  void start(Duration timeout) throws IOException {
    String seeds = remotePorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    Path logs =
        Path.of(System.getProperty("starfish.test.work-dir", "target/it-work")).resolve("logs");
    Files.createDirectories(logs);
    for (int i = 0; i < size; i++) {
      ProcessBuilder builder =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xms128m",
                  "-Xmx" + heapMb + "m",
                  "-XX:+UseG1GC",
                  "-Dlogback.configurationFile=logback.xml",
                  "-cp",
                  System.getProperty("java.class.path"),
                  PlainPekkoNode.class.getName())
              .redirectErrorStream(true)
              .redirectOutput(logs.resolve("bench-plain-pekko-node-" + (i + 1) + ".log").toFile());
      Map<String, String> env = builder.environment();
      env.put("STARFISH_REMOTE_PORT", remotePorts.get(i).toString());
      env.put("STARFISH_HTTP_PORT", httpPorts.get(i).toString());
      env.put("STARFISH_SEED_NODES", seeds);
      env.put("STARFISH_CASSANDRA_CONTACT_POINT", contactPoint);
      env.put("BENCH_NODES", Integer.toString(size));
      env.putAll(environment);
      processes.add(builder.start());
    }
    ForkedCluster.await(
        "the plain Pekko nodes ready (logs in " + logs + ")",
        timeout,
        () -> {
          for (int i = 0; i < size; i++) {
            if (!processes.get(i).isAlive()) {
              throw new IllegalStateException("plain Pekko node " + (i + 1) + " exited");
            }
            try {
              HttpResponse<String> ready =
                  http.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + httpPorts.get(i) + "/ready"))
                          .timeout(Duration.ofSeconds(2))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              if (ready.statusCode() != 200) {
                return false;
              }
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return false;
            }
          }
          return true;
        });
  }

  @Override
  public void close() {
    processes.forEach(Process::destroy);
    for (Process process : processes) {
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
