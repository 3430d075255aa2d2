package io.starfish.runtime.internal;

import ch.qos.logback.classic.LoggerContext;
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

  public static void nameNode(String node) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty(NODE_PROPERTY, node);
    }
  }
}
