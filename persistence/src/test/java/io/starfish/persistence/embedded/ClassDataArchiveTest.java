package io.starfish.persistence.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Class-data archives, with real JVMs: recorded at a JVM's own exit, then mapped by the next. */
class ClassDataArchiveTest {

  /** What the JVMs under test run: exits at once, or waits to be killed ("wait"). */
  public static final class Main {
    public static void main(String[] args) throws InterruptedException {
      if (args.length > 0) {
        Thread.sleep(TimeUnit.MINUTES.toMillis(1));
      }
    }
  }

  @TempDir Path work;

  @Test
  void aFolderOnTheClassPathBecomesAJarOfItsFilesAndAChangedFolderANewJar() throws IOException {
    Path classes = Files.createDirectories(work.resolve("classes/io/example"));
    Path file = Files.writeString(classes.resolve("A.txt"), "a");
    String jarred = ClassPathJars.withoutDirectories(work.resolve("classes").toString(), work);

    assertThat(jarred).endsWith(".jar");
    try (JarFile jar = new JarFile(jarred)) {
      assertThat(jar.getEntry("io/example/A.txt")).isNotNull();
    }
    assertThat(ClassPathJars.withoutDirectories(work.resolve("classes").toString(), work))
        .as("an unchanged folder reuses its jar")
        .isEqualTo(jarred);
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    assertThat(ClassPathJars.withoutDirectories(work.resolve("classes").toString(), work))
        .as("a changed folder gets a new jar")
        .isNotEqualTo(jarred);
  }

  @Test
  void theFirstJvmThatExitsByItselfLeavesAnArchiveThatTheNextJvmMaps() throws Exception {
    ClassDataArchive archive = archive();

    ClassDataArchive.Launch recording = archive.nextLaunch();
    assertThat(recording.jvmOptions()).anyMatch(option -> option.contains("ArchiveClassesAtExit"));
    assertThat(run(recording, List.of())).as("exit code of the recording JVM").isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> archives().anyMatch(p -> p.toString().endsWith(".jsa")));

    ClassDataArchive.Launch mapping = archive.nextLaunch();
    assertThat(mapping.jvmOptions()).anyMatch(option -> option.contains("SharedArchiveFile"));
    // -Xshare:on: the JVM fails to start unless it can map the archive.
    assertThat(run(mapping, List.of("-Xshare:on"))).as("exit code with -Xshare:on").isZero();
  }

  @Test
  void aRecordingJvmKilledWithSigkillLeavesNoArchive() throws Exception {
    ClassDataArchive archive = archive();
    ClassDataArchive.Launch recording = archive.nextLaunch();
    Process process = start(recording, List.of(), "wait");
    recording.started().accept(process);
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> archives().noneMatch(p -> p.getFileName().toString().contains("recording")));
    assertThat(archives()).noneMatch(p -> p.toString().endsWith(".jsa"));
    assertThat(archive.nextLaunch().jvmOptions())
        .anyMatch(option -> option.contains("ArchiveClassesAtExit"));
  }

  private ClassDataArchive archive() throws Exception {
    String classPath =
        ClassPathJars.withoutDirectories(
            Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString(),
            work);
    return ClassDataArchive.of(work, "test", classPath, line -> {});
  }

  private int run(ClassDataArchive.Launch launch, List<String> extra) throws Exception {
    Process process = start(launch, extra);
    launch.started().accept(process);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("JVM exited").isTrue();
    return process.exitValue();
  }

  private static Process start(ClassDataArchive.Launch launch, List<String> extra, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(launch.jvmOptions());
    command.addAll(extra);
    command.add("-cp");
    command.add(launch.classPath());
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).inheritIO().start();
  }

  private Stream<Path> archives() throws IOException {
    try (Stream<Path> files = Files.list(work)) {
      return files.toList().stream();
    }
  }
}
