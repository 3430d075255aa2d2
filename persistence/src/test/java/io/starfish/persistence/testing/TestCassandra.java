package io.starfish.persistence.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Cassandra per test JVM, on free ports, in a fresh folder under the build directory. Use
 * {@code @ExtendWith(TestCassandra.class)}; it is stopped when the test run ends (and, as a last
 * resort, by a JVM shutdown hook; the child also exits if this JVM is killed).
 */
public final class TestCassandra implements BeforeAllCallback {

  private static EmbeddedCassandra running;
  private static EmbeddedCassandra.Settings settings;
  private static boolean hookRegistered;

  @Override
  public void beforeAll(ExtensionContext context) {
    instance();
    context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(
            TestCassandra.class.getName(), key -> (AutoCloseable) TestCassandra::stop);
  }

  /** The running node, started on first use. */
  public static synchronized EmbeddedCassandra instance() {
    if (running == null || !running.isRunning()) {
      if (settings == null) {
        Path dir =
            Path.of(System.getProperty("starfish.test.work-dir", "target/it-work"))
                .resolve("cassandra-" + UUID.randomUUID().toString().substring(0, 8));
        settings = EmbeddedCassandra.Settings.in(dir).withPorts(freePort(), freePort());
      }
      if (!hookRegistered) {
        Runtime.getRuntime()
            .addShutdownHook(new Thread(TestCassandra::stop, "test-cassandra-stop"));
        hookRegistered = true;
      }
      running = EmbeddedCassandra.start(settings);
    }
    return running;
  }

  /** Stops the node; the next {@link #instance()} starts it again on the same data and ports. */
  public static synchronized void stop() {
    if (running != null) {
      running.stop();
      running = null;
    }
  }

  /**
   * Kills the node ({@code kill -9}: no flush, no clean commit-log close); the next {@link
   * #instance()} starts it again on the same data and ports, replaying its commit log.
   */
  public static synchronized void kill() {
    if (running != null) {
      running.kill();
      running = null;
    }
  }

  /** Driver settings that point at this node; put it in front of the test's configuration. */
  public static Config driverConfig() {
    return ConfigFactory.parseString(
        "datastax-java-driver.basic.contact-points = [\"" + instance().contactPoint() + "\"]");
  }

  /** Ports handed out by this JVM: each is used once, even though none is held open. */
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  /**
   * A TCP port free on 127.0.0.1, chosen outside the kernel's ephemeral port range.
   *
   * <p>Tests kill a node or Cassandra and start it again on the same ports. A port from the
   * ephemeral range (what {@code new ServerSocket(0)} returns) can meanwhile become the local port
   * of some outgoing connection (the load generator, a driver, another node's remoting), and the
   * restarted process then fails with "Address already in use". Ports below the range are never
   * given to outgoing connections.
   */
  public static synchronized int freePort() {
    int[] ephemeral = ephemeralPortRange();
    int low = 20000;
    int high = ephemeral[0] - 1;
    if (high - low < 1000) { // an unusual range: use the ports above it instead
      low = ephemeral[1] + 1;
      high = 65535;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int port = random.nextInt(low, high + 1);
      if (!HANDED_OUT.contains(port) && isFree(port)) {
        HANDED_OUT.add(port);
        return port;
      }
    }
    throw new IllegalStateException("no free port found in " + low + "-" + high);
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The kernel's ephemeral range; Linux's default if it cannot be read. */
  static int[] ephemeralPortRange() {
    try {
      String[] range =
          Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      return new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[1])};
    } catch (IOException | RuntimeException e) {
      return new int[] {32768, 60999};
    }
  }
}
