package io.starfish.persistence.embedded.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;

/**
 * Entry point of the embedded Cassandra child JVM. It starts Cassandra's own daemon and watches
 * standard input: the parent holds the other end of that pipe, so when the parent exits for any
 * reason (even {@code kill -9}) the pipe closes and this JVM exits too, running Cassandra's
 * shutdown hooks. No orphaned Cassandra outlives the process that started it.
 *
 * <p>Only JDK classes are used here: this class runs on Cassandra's class path.
 */
public final class CassandraMain {

  private CassandraMain() {}

  public static void main(String[] args) throws Exception {
    Thread watchdog = new Thread(CassandraMain::exitWhenParentGoesAway, "starfish-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    Class<?> daemon = Class.forName("org.apache.cassandra.service.CassandraDaemon");
    Method main = daemon.getMethod("main", String[].class);
    main.invoke(null, (Object) args);
  }

  private static void exitWhenParentGoesAway() {
    InputStream in = System.in;
    byte[] buffer = new byte[64];
    try {
      while (in.read(buffer) >= 0) {
        // The parent never writes; anything read is ignored.
      }
    } catch (IOException e) {
      // A broken pipe means the same as end of stream: the parent is gone.
    }
    System.err.println("starfish: parent process went away, stopping Cassandra");
    System.exit(0);
  }
}
