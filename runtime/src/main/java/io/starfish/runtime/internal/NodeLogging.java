package io.starfish.runtime.internal;

import ch.qos.logback.classic.LoggerContext;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Puts the node's name (host:remote-port) into Logback's context as the property {@code
 * starfishNode}: the text pattern prints it on every line, and the JSON encoder writes it with the
 * context's properties, also on lines logged outside actors (HTTP routes, startup), where Pekko's
 * own {@code pekkoAddress} MDC entry is absent. A JVM runs one node in production; tests that run
 * several nodes in one JVM see the last one's name.
 */
public final class NodeLogging {

  /** The Logback context property that names the node. */
  public static final String NODE_PROPERTY = "starfishNode";

  private NodeLogging() {}

  /**
   * Why the configured log format cannot be used, if it cannot: logback.xml sends every line to the
   * appender named by it, so any value but "text" or "json" would silently drop all logging.
   *
   * @param property -Dstarfish.log.format, or null
   * @param environment STARFISH_LOG_FORMAT, or null
   */
  public static Optional<String> formatProblem(String property, String environment) {
    String format = property != null ? property : environment;
    if (format == null || format.equals("text") || format.equals("json")) {
      return Optional.empty();
    }
    return Optional.of(
        (property != null ? "-Dstarfish.log.format" : "STARFISH_LOG_FORMAT")
            + " is \""
            + format
            + "\"; expected text or json");
  }

  public static void nameNode(String node) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty(NODE_PROPERTY, node);
    }
  }
}
