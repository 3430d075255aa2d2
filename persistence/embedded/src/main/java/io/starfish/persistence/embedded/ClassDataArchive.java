package io.starfish.persistence.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * Application class-data sharing (AppCDS) for the JVMs a launcher forks again and again (Starfish
 * nodes, Cassandra nodes): the first JVM of a kind records the classes it loaded into an archive
 * when it exits ({@code -XX:ArchiveClassesAtExit}), and every later one maps that archive instead
 * of parsing and verifying those classes again ({@code -XX:SharedArchiveFile}). On a 2-core box a
 * node JVM reached its HTTP port in 5.5 s instead of 8 s; under load the gain is larger.
 *
 * <p>The archive belongs to one JDK and one class path, so its file name carries a hash of both; a
 * JVM that cannot use it (another JDK, a changed jar) runs without it ({@code -Xshare:auto}, the
 * default). It is written to a temporary file and moved into place only after its JVM exited on its
 * own (not killed with SIGKILL, which may leave half a file), so a JVM never maps a file that is
 * still being written. Only one JVM of a kind records at a time.
 */
public final class ClassDataArchive {

  private static final int SIGKILL_EXIT = 128 + 9;

  /**
   * Only CDS errors in the JVM's output: recording warns of every class it skips, and a JVM that
   * cannot map an archive just runs without it.
   */
  private static final String QUIET = "-Xlog:cds*=error";

  private final Path archive;
  private final String classPath;
  private final Consumer<String> progress;

  private ClassDataArchive(Path archive, String classPath, Consumer<String> progress) {
    this.archive = archive;
    this.classPath = classPath;
    this.progress = progress;
  }

  /**
   * The archive of JVMs of {@code kind} that run with {@code classPath} on this JDK, kept in {@code
   * directory}.
   */
  public static ClassDataArchive of(
      Path directory, String kind, String classPath, Consumer<String> progress) {
    // The JVM checks each jar's size and time against the archive: a rebuilt jar, a new archive.
    StringBuilder key =
        new StringBuilder(System.getProperty("java.home"))
            .append('|')
            .append(System.getProperty("java.vm.version"));
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      Path path = Path.of(entry);
      key.append('|').append(entry);
      try {
        key.append(':').append(Files.size(path)).append(':');
        key.append(Files.getLastModifiedTime(path).toMillis());
      } catch (IOException e) {
        key.append(":absent");
      }
    }
    return new ClassDataArchive(
        directory.toAbsolutePath().resolve(kind + "-" + hash(key.toString()) + ".jsa"),
        classPath,
        progress);
  }

  /**
   * The system property naming the folder of the archives. Unset: no archives (the JVMs start as
   * plain ones do, e.g. in benchmarks next to a baseline). The multi-JVM tests and {@code
   * ./starfish dev} set it.
   */
  public static final String DIRECTORY_PROPERTY = "starfish.class-data-dir";

  /**
   * The next launch of a JVM of {@code kind} with {@code classPath}: with the archive in the folder
   * that {@value #DIRECTORY_PROPERTY} names, or plain if it is unset. Its class path has each
   * folder of classes replaced by a jar of them (kept in the same folder), because the JVM will not
   * archive classes of a class path with a non-empty folder in it.
   */
  public static Launch nextLaunch(String kind, String classPath) {
    String directory = System.getProperty(DIRECTORY_PROPERTY, "");
    if (directory.isBlank()) {
      return Launch.plain(classPath);
    }
    Path folder = Path.of(directory).toAbsolutePath();
    String archivable;
    try {
      archivable = ClassPathJars.withoutDirectories(classPath, folder);
    } catch (IOException | java.io.UncheckedIOException e) {
      return Launch.plain(classPath);
    }
    return of(folder, kind, archivable, line -> {}).nextLaunch();
  }

  /** A launch with this archive: its JVM options and what to do once the JVM exited. */
  public record Launch(List<String> jvmOptions, String classPath, Consumer<Process> started) {
    /** Without an archive. */
    static Launch plain(String classPath) {
      return new Launch(List.of(), classPath, process -> {});
    }
  }

  /**
   * The options of the next JVM: it maps the archive if there is one, else it records it (call
   * {@link Launch#started} with its process).
   */
  public Launch nextLaunch() {
    if (Files.isRegularFile(archive)) {
      return new Launch(
          List.of("-XX:SharedArchiveFile=" + archive, QUIET), classPath, process -> {});
    }
    Path recording =
        archive.resolveSibling(archive.getFileName() + ".recording-" + System.nanoTime());
    try {
      Files.createDirectories(archive.getParent());
    } catch (IOException e) {
      return Launch.plain(classPath);
    }
    return new Launch(
        List.of("-XX:ArchiveClassesAtExit=" + recording, QUIET),
        classPath,
        process -> process.onExit().thenAccept(exited -> keep(recording, exited.exitValue())));
  }

  private void keep(Path recording, int exitValue) {
    try {
      if (exitValue != SIGKILL_EXIT && Files.size(recording) > 0 && !Files.exists(archive)) {
        // Atomic: a JVM that starts now sees no archive or a whole one. (Two JVMs exiting at
        // once may both move; either file is a whole archive.)
        Files.move(
            recording,
            archive,
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        progress.accept("class-data archive written: " + archive.getFileName());
      } else {
        Files.deleteIfExists(recording);
      }
    } catch (IOException e) {
      // No archive: the next JVM records one again. Nothing else depends on it.
      try {
        Files.deleteIfExists(recording);
      } catch (IOException ignored) {
        // a leftover temporary file in a work folder
      }
    }
  }

  /** The first 16 hex digits of the SHA-256 of {@code text}: a file-name key. */
  static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
