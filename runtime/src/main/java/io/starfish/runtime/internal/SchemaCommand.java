package io.starfish.runtime.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.CassandraSchema;
import io.starfish.sharding.StarfishSharding;
import io.starfish.views.Views;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code starfish-node schema}: prints the CQL that creates the Cassandra keyspaces and tables for
 * this node's configuration, and nothing else on standard output (for {@code cqlsh -f}).
 */
public final class SchemaCommand {

  private SchemaCommand() {}

  /**
   * Prints the schema; with {@code views}, also the tables of views ({@link
   * io.starfish.views.Views#schemaStatements}).
   */
  public static void print(boolean views) {
    // Standard output carries only the CQL (for cqlsh -f); the actor system logs nothing.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    Config config;
    try {
      config = CassandraConfig.apply(ConfigFactory.load());
    } catch (IllegalArgumentException e) {
      System.err.println("starfish: " + e.getMessage());
      System.exit(2);
      return;
    }
    org.apache.pekko.actor.ActorSystem system =
        org.apache.pekko.actor.ActorSystem.create(
            "starfish-schema",
            ConfigFactory.parseString(
                    "pekko.actor.provider = local\npekko.loglevel = ERROR\n"
                        + "pekko.coordinated-shutdown.exit-jvm = off")
                .withFallback(config));
    try {
      System.out.print(CassandraSchema.script(system));
      for (String statement : StarfishSharding.schemaStatements(config)) {
        System.out.print("\n" + statement + ";\n");
      }
      if (views) {
        for (String statement : Views.schemaStatements(config)) {
          System.out.print("\n" + statement + ";\n");
        }
      }
      System.out.flush();
    } finally {
      system.terminate();
    }
  }
}
