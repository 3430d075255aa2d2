package io.starfish.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS context from {@code starfish.http.tls}: a configured PKCS#12 keystore, or for
 * dev a self-signed certificate for localhost and 127.0.0.1 generated once with the JDK's keytool.
 */
public final class TlsContexts {

  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  private TlsContexts() {}

  /** The SSL context of the server, generating the dev keystore first if needed. */
  public static SSLContext server(HttpSettings.Tls tls) {
    Path keystore =
        tls.keystore().isBlank()
            ? ensureSelfSigned(Path.of(tls.selfSignedKeystore()), tls.keystorePassword())
            : Path.of(tls.keystore());
    char[] password = tls.keystorePassword().toCharArray();
    try (InputStream in = Files.newInputStream(keystore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot load the TLS keystore "
              + keystore.toAbsolutePath()
              + " (starfish.http.tls.keystore / keystore-password): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Creates a PKCS#12 keystore with a self-signed certificate for localhost and 127.0.0.1 at {@code
   * file}, unless it exists. Clients must trust it explicitly; it is for dev and tests.
   */
  public static Path ensureSelfSigned(Path file, String password) {
    if (Files.exists(file)) {
      return file;
    }
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    try {
      if (file.toAbsolutePath().getParent() != null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
      }
      Path partial = file.resolveSibling(file.getFileName() + ".partial");
      Files.deleteIfExists(partial);
      Process process =
          new ProcessBuilder(
                  List.of(
                      keytool.toString(),
                      "-genkeypair",
                      "-alias",
                      "starfish",
                      "-keyalg",
                      "EC",
                      "-groupname",
                      "secp256r1",
                      "-dname",
                      "CN=localhost, O=Starfish dev",
                      "-ext",
                      "SAN=dns:localhost,ip:127.0.0.1",
                      "-validity",
                      "825",
                      "-storetype",
                      "PKCS12",
                      "-keystore",
                      partial.toString(),
                      "-storepass",
                      password,
                      "-keypass",
                      password))
              .redirectErrorStream(true)
              .start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool failed to create a dev certificate: " + output);
      }
      Files.move(partial, file);
      log.info(
          "generated a self-signed TLS certificate for localhost and 127.0.0.1 in {} (dev only;"
              + " clients must trust it explicitly)",
          file.toAbsolutePath());
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot generate a dev TLS certificate with " + keytool + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while generating a dev TLS certificate", e);
    }
  }
}
