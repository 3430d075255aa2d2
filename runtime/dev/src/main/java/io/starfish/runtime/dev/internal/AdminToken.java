package io.starfish.runtime.dev.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The admin API token of a dev cluster (STARFISH_ADMIN_TOKEN of every node), kept in {@code
 * <home>/admin-token}, readable only by the owner, so that --join and the user can find it.
 */
public final class AdminToken {

  private AdminToken() {}

  public static Path file(Path home) {
    return home.resolve("admin-token");
  }

  /** A new random token, written to the file (replacing an earlier one). */
  public static String create(Path home) throws IOException {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    String token = HexFormat.of().formatHex(bytes);
    Path file = file(home);
    Files.deleteIfExists(file);
    // Created with its permissions, so the token is never readable by others, not even briefly.
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, token + "\n", StandardOpenOption.TRUNCATE_EXISTING);
    return token;
  }

  /** The token of the running dev cluster. */
  public static String read(Path home) throws IOException {
    return Files.readString(file(home)).strip();
  }
}
