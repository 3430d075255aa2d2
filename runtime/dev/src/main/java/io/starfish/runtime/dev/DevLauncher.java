package io.starfish.runtime.dev;

import io.starfish.persistence.embedded.CassandraStartException;
import io.starfish.persistence.embedded.ClassDataArchive;
import io.starfish.runtime.dev.internal.DevCommandLine;
import io.starfish.runtime.dev.internal.DevOptions;
import io.starfish.runtime.dev.internal.DevSession;
import java.nio.file.Path;

/**
 * {@code ./starfish dev}: an embedded Cassandra (data under {@code .starfish/}) and N Starfish node
 * JVMs on 127.0.0.1, with progress until every node is ready, a table of the nodes once they are
 * Up, self-heal (a node process that dies is reported and replaced on the same ports; the new
 * incarnation replaces the old one in the cluster), and an orderly stop (nodes first, then
 * Cassandra) on Ctrl-C or SIGTERM. Node i (from 1) uses remoting port 25519+i, HTTP port 8079+i and
 * management (Cluster Bootstrap) port 8557+i.
 *
 * <p>{@code ./starfish dev --join} instead starts one more node that joins the cluster a running
 * {@code ./starfish dev} started, on the next free ports, and watches it the same way.
 *
 * <p>Exit codes: 0 after --help or a stop by Ctrl-C, 1 if start-up fails or the only Cassandra
 * exits, 2 for a usage error.
 */
public final class DevLauncher {

  private DevLauncher() {}

  public static void main(String[] args) throws Exception {
    DevCommandLine.Outcome parsed = DevCommandLine.parse(args, System.out, System.err);
    if (parsed.options().isEmpty()) {
      if (parsed.exitCode() != 0) {
        System.exit(parsed.exitCode());
      }
      return;
    }
    DevOptions options = parsed.options().get();
    Path work = Path.of(".starfish").toAbsolutePath();
    // Node and Cassandra JVMs after the first start faster from a class-data archive (see
    // ClassDataArchive).
    if (System.getProperty(ClassDataArchive.DIRECTORY_PROPERTY) == null) {
      System.setProperty(
          ClassDataArchive.DIRECTORY_PROPERTY, work.resolve("class-data").toString());
    }
    DevSession session = new DevSession(work, options);
    Runtime.getRuntime().addShutdownHook(new Thread(session::stop, "starfish-dev-stop"));
    try {
      session.run();
    } catch (CassandraStartException | IllegalStateException e) {
      System.err.println("starfish dev: " + e.getMessage());
      System.exit(1);
    }
  }
}
