package io.starfish.persistence.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The tools some tests need beyond a JDK: promtool (Debian package prometheus), Chromium (Debian
 * package chromium), nft (Debian package nftables) and playwright-core (npm). {@link
 * #ensureInstalled} runs the project's own {@code .ci/install-test-tools.sh} once per test JVM; the
 * script is idempotent and returns at once when everything is there, so a fresh machine needs
 * nothing but {@code ./mvnw verify}.
 */
public final class TestTools {

  private static Path installedIn;

  private TestTools() {}

  /** The repository's root: the nearest ancestor of the working directory with .ci/. */
  public static Path projectRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve(".ci/install-test-tools.sh"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "no .ci/install-test-tools.sh above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /** Installs what is missing (once per JVM); fails with the script's output if it cannot. */
  public static synchronized Path ensureInstalled() {
    if (installedIn != null) {
      return installedIn;
    }
    Path root = projectRoot();
    try {
      Process process =
          new ProcessBuilder("bash", root.resolve(".ci/install-test-tools.sh").toString())
              .directory(root.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.INHERIT)
              .start();
      if (!process.waitFor(15, TimeUnit.MINUTES)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(".ci/install-test-tools.sh did not finish in 15 minutes");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            ".ci/install-test-tools.sh failed (exit "
                + process.exitValue()
                + "); see its output above. It installs chromium, prometheus (promtool) and"
                + " nftables with apt-get and playwright-core with npm.");
      }
    } catch (IOException e) {
      throw new IllegalStateException("could not run .ci/install-test-tools.sh", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while installing test tools", e);
    }
    installedIn = root;
    return root;
  }

  /** Where npm installed playwright-core (NODE_PATH for scripts that require it). */
  public static Path nodeModules() {
    return ensureInstalled().resolve(".starfish/test-tools/node_modules");
  }
}
