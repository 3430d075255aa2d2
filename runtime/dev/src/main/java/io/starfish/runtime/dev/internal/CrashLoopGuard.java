package io.starfish.runtime.dev.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Stops self-heal from restarting a node forever that dies right after each start (a broken build,
 * a bad setting): more than 3 deaths in a row, each within 60 s of its start, end the restarts.
 */
public final class CrashLoopGuard {

  /** A replacement that dies this soon after its start counts as a failed restart. */
  static final Duration CRASH_LOOP_WINDOW = Duration.ofSeconds(60);

  static final int MAX_QUICK_RESTARTS = 3;

  private final Map<Integer, Integer> quickRestarts = new HashMap<>();

  /**
   * Records that node {@code index} died after {@code uptime}; true if it may be restarted, false
   * (after saying so) if it is crash-looping.
   */
  public boolean allowsRestart(int index, Duration uptime) {
    boolean quick = uptime.compareTo(CRASH_LOOP_WINDOW) < 0;
    int quickCount = quick ? quickRestarts.merge(index, 1, Integer::sum) : 0;
    if (!quick) {
      quickRestarts.remove(index);
    }
    if (quickCount > MAX_QUICK_RESTARTS) {
      DevConsole.say(
          "node "
              + index
              + " died "
              + quickCount
              + " times within "
              + CRASH_LOOP_WINDOW.toSeconds()
              + " s of starting; not restarting it again (see its log)");
      return false;
    }
    return true;
  }
}
