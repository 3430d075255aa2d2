package io.starfish.runtime;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/** Finds the classes of Starfish's main code (not test code) on the test class path. */
final class StarfishClasses {

  /** Where Starfish's classes live; the scan covers every class path entry with this package. */
  private static final String STARFISH_PACKAGE = "io/starfish/";

  private StarfishClasses() {}

  /** Every main class under io.starfish on the class path, loaded without initialising it. */
  static List<Class<?>> mainClasses() throws IOException, URISyntaxException {
    ClassLoader loader = StarfishClasses.class.getClassLoader();
    List<String> classNames = new ArrayList<>();
    for (URL root : Collections.list(loader.getResources(STARFISH_PACKAGE))) {
      classNames.addAll(mainClassNamesUnder(root));
    }
    List<Class<?>> classes = new ArrayList<>();
    for (String name : classNames) {
      try {
        classes.add(Class.forName(name, false, loader));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new AssertionError("cannot load " + name, e);
      }
    }
    if (classes.isEmpty()) {
      throw new AssertionError("found no Starfish class on the class path: the scan is broken");
    }
    return classes;
  }

  /** The class names under io/starfish/ in one class path entry; none for test classes. */
  private static List<String> mainClassNamesUnder(URL packageUrl)
      throws IOException, URISyntaxException {
    if (packageUrl.getProtocol().equals("jar")) {
      JarURLConnection connection = (JarURLConnection) packageUrl.openConnection();
      if (connection.getJarFileURL().getPath().endsWith("-tests.jar")) {
        return List.of();
      }
      try (JarFile jar = new JarFile(Paths.get(connection.getJarFileURL().toURI()).toFile())) {
        return jar.stream()
            .map(entry -> entry.getName())
            .filter(name -> name.startsWith(STARFISH_PACKAGE) && name.endsWith(".class"))
            .map(StarfishClasses::className)
            .toList();
      }
    }
    Path packageDir = Paths.get(packageUrl.toURI());
    Path root = packageDir.getParent().getParent();
    if (root.getFileName().toString().equals("test-classes")) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(packageDir)) {
      return files
          .filter(file -> file.toString().endsWith(".class"))
          .map(file -> className(root.relativize(file).toString().replace('\\', '/')))
          .toList();
    }
  }

  private static String className(String resourcePath) {
    return resourcePath.substring(0, resourcePath.length() - ".class".length()).replace('/', '.');
  }
}
