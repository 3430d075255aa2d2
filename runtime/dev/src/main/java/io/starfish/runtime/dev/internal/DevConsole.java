package io.starfish.runtime.dev.internal;

/** The launcher's console output: every line is prefixed so it stands out from Maven and logs. */
public final class DevConsole {

  private DevConsole() {}

  public static void say(String line) {
    System.out.println("[starfish] " + line);
  }

  public static double secondsSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
