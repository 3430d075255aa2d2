package io.starfish.persistence.embedded.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Reads a Cassandra node's console log (cassandra.out) for progress lines and error reports. */
public final class CassandraLog {

  private CassandraLog() {}

  /** The last {@code lines} lines, or a note saying why there are none. */
  public static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** The message of the last line, without its time/level/logger prefix, cut to 100 characters. */
  public static String lastMeaningfulLine(Path file) {
    String last = tail(file, 1);
    int dash = last.indexOf(" - ");
    String message = dash >= 0 ? last.substring(dash + 3) : last;
    return message.length() > 100 ? message.substring(0, 100) + "..." : message;
  }

  /**
   * The first error the log reports (an ERROR line or an exception, with the line after it), cut to
   * 300 characters, or "" if there is none: put first in a failure's message, because a long tail
   * is often cut in the middle by whatever shows it.
   */
  public static String firstError(Path file) {
    String[] lines = tail(file, 200).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.contains(" ERROR ")
          || line.contains("Exception (")
          || line.startsWith("Caused by")) {
        String error = line.strip() + (i + 1 < lines.length ? " | " + lines[i + 1].strip() : "");
        return error.length() > 300 ? error.substring(0, 300) + "..." : error;
      }
    }
    return "";
  }

  /** A hint at the usual causes of an exit during start-up, or "" if the log shows none. */
  public static String explainExit(Path logFile) {
    String log = tail(logFile, 200);
    if (log.contains("OutOfMemoryError") || log.contains("Cannot allocate memory")) {
      return " (out of memory: give it more heap or free memory on the machine)";
    }
    if (log.contains("Address already in use")) {
      return " (a port is already in use: another Cassandra may be running)";
    }
    if (log.contains("unable to access required classes")) {
      return " (JDK module flags missing for this Java version)";
    }
    return "";
  }

  /** How many lines of the log contain {@code text}; 0 if it cannot be read. */
  public static long countLinesContaining(Path logFile, String text) {
    try (Stream<String> lines = Files.lines(logFile, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains(text)).count();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }
}
