package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.CassandraStartException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The class path and version of the Cassandra this build resolved, read from the resources that the
 * starfish-cassandra-server module writes (Cassandra's jars stay off this JVM's class path).
 */
public final class CassandraClassPath {

  private static final String CLASS_PATH_RESOURCE =
      "/io/starfish/persistence/cassandra-server.classpath";
  private static final String VERSION_RESOURCE =
      "/io/starfish/persistence/cassandra-server.properties";

  private CassandraClassPath() {}

  /** Cassandra's jars (resolved by Maven into the local repository) plus this module's classes. */
  public static String get() {
    String listed;
    try (InputStream in = CassandraClassPath.class.getResourceAsStream(CLASS_PATH_RESOURCE)) {
      if (in == null) {
        throw new CassandraStartException(
            "the Cassandra class path resource "
                + CLASS_PATH_RESOURCE
                + " is missing: build the project with ./mvnw first");
      }
      listed = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> entries =
        Arrays.stream(listed.split(File.pathSeparator))
            .filter(entry -> !entry.isBlank())
            .collect(Collectors.toList());
    List<String> missing =
        entries.stream()
            .filter(entry -> !Files.exists(Path.of(entry)))
            .collect(Collectors.toList());
    if (!missing.isEmpty()) {
      throw new CassandraStartException(
          missing.size()
              + " Cassandra jar(s) are missing from the local Maven repository, e.g. "
              + missing.get(0)
              + ": run ./mvnw install -DskipTests once to download them");
    }
    entries.add(ownCodeLocation());
    return String.join(File.pathSeparator, entries);
  }

  /** The Cassandra version this build resolved. */
  public static String version() {
    try (InputStream in = CassandraClassPath.class.getResourceAsStream(VERSION_RESOURCE)) {
      if (in == null) {
        return "(unknown version)";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "(unknown version)");
    } catch (IOException e) {
      return "(unknown version)";
    }
  }

  /** Where CassandraMain is loaded from: the child JVM runs it. */
  private static String ownCodeLocation() {
    try {
      return Path.of(
              CassandraMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
