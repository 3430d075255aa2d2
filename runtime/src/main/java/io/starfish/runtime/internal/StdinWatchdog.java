package io.starfish.runtime.internal;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The dev launcher holds a node's stdin; when it goes away, so does the node (gracefully). */
public final class StdinWatchdog {

  private StdinWatchdog() {}

  private static final Logger log = LoggerFactory.getLogger(StdinWatchdog.class);

  public static void start(ActorSystem<?> system) {
    Thread watchdog =
        new Thread(
            () -> {
              InputStream in = System.in;
              byte[] buffer = new byte[64];
              try {
                while (in.read(buffer) >= 0) {
                  // nothing is ever written; wait for end of stream
                }
              } catch (IOException e) {
                // a broken pipe means the same as end of stream
              }
              log.warn("standard input closed (launcher gone): shutting down");
              CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.jvmExitReason());
            },
            "starfish-stdin-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
