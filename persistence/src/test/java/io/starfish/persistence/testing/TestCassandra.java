package io.starfish.persistence.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.UUID;
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

  /** Driver settings that point at this node; put it in front of the test's configuration. */
  public static Config driverConfig() {
    return ConfigFactory.parseString(
        "datastax-java-driver.basic.contact-points = [\"" + instance().contactPoint() + "\"]");
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
