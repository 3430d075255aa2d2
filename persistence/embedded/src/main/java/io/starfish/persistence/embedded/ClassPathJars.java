package io.starfish.persistence.embedded;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A class path with each folder of classes (e.g. {@code target/test-classes}) replaced by a jar of
 * its files, for {@link ClassDataArchive}: the JVM refuses to archive classes when the class path
 * holds a non-empty folder. A jar is named by the folder and its content's newest change, so a
 * rebuilt folder gets a new jar (and so a new archive), and an unchanged one reuses it.
 */
final class ClassPathJars {

  private ClassPathJars() {}

  static synchronized String withoutDirectories(String classPath, Path jarFolder)
      throws IOException {
    List<String> entries = new ArrayList<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      Path path = Path.of(entry);
      entries.add(Files.isDirectory(path) ? jarOf(path, jarFolder).toString() : entry);
    }
    return String.join(File.pathSeparator, entries);
  }

  private static Path jarOf(Path folder, Path jarFolder) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    long newest = 0;
    for (Path file : files) {
      newest = Math.max(newest, Files.getLastModifiedTime(file).toMillis());
    }
    String name =
        "classes-"
            + ClassDataArchive.hash(folder.toAbsolutePath() + "|" + newest + "|" + files.size())
            + ".jar";
    Path jar = jarFolder.resolve(name);
    if (Files.isRegularFile(jar)) {
      return jar;
    }
    Files.createDirectories(jarFolder);
    Path partial = jarFolder.resolve(name + ".partial-" + System.nanoTime());
    try (OutputStream out = Files.newOutputStream(partial);
        JarOutputStream jarOut = new JarOutputStream(out)) {
      for (Path file : files) {
        jarOut.putNextEntry(new JarEntry(folder.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, jarOut);
        jarOut.closeEntry();
      }
    } catch (IOException | UncheckedIOException e) {
      Files.deleteIfExists(partial);
      throw e;
    }
    Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return jar;
  }
}
