package io.starfish.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Typed view of {@code starfish.http} (see this module's reference.conf).
 *
 * @param host interface to bind
 * @param port port to bind; 0 picks a free one
 * @param askTimeout deadline of every entity ask
 * @param maxBodyBytes largest accepted request body
 * @param retryAfterSeconds value of Retry-After on 503
 * @param adminToken bearer token of the admin API; empty: the admin API is disabled
 * @param shardStatsTimeout how long the shard view waits for every node's shard regions
 * @param maxInFlight entity requests this node handles at once; more get 503 at once
 * @param apiToken bearer token required on the entity API; empty: the entity API is open
 * @param tls HTTPS settings
 * @param shutdownDrain how long a stopping node keeps serving while it already reports not ready
 * @param resendAfter a read or keyed command without an answer after this long is sent again (until
 *     the ask timeout); zero: never
 */
public record HttpSettings(
    String host,
    int port,
    Duration askTimeout,
    long maxBodyBytes,
    int retryAfterSeconds,
    Optional<String> adminToken,
    Duration shardStatsTimeout,
    int maxInFlight,
    Optional<String> apiToken,
    Tls tls,
    Duration shutdownDrain,
    Duration resendAfter) {

  /**
   * HTTPS for the API.
   *
   * @param enabled serve HTTPS instead of HTTP
   * @param keystore PKCS#12 file with the server's key and certificate chain; empty: generate a
   *     self-signed certificate for localhost and 127.0.0.1 into {@code selfSignedKeystore}
   * @param keystorePassword password of the keystore (and of its key)
   * @param selfSignedKeystore where the generated self-signed keystore is kept (dev only)
   */
  public record Tls(
      boolean enabled, String keystore, String keystorePassword, String selfSignedKeystore) {

    public static Tls disabled() {
      return new Tls(false, "", "", "");
    }

    @Override
    public String toString() {
      // Never print the password.
      return "Tls[enabled=" + enabled + ", keystore=" + keystore + "]";
    }
  }

  public HttpSettings {
    if (resendAfter.isNegative()) {
      throw new IllegalArgumentException("resend-after must be >= 0, was " + resendAfter);
    }
    if (shutdownDrain.isNegative()) {
      throw new IllegalArgumentException("shutdown-drain must be >= 0, was " + shutdownDrain);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max-in-flight must be >= 1, was " + maxInFlight);
    }
  }

  /** Settings with the defaults for everything added after the first API version. */
  public HttpSettings(
      String host,
      int port,
      Duration askTimeout,
      long maxBodyBytes,
      int retryAfterSeconds,
      Optional<String> adminToken,
      Duration shardStatsTimeout) {
    this(
        host,
        port,
        askTimeout,
        maxBodyBytes,
        retryAfterSeconds,
        adminToken,
        shardStatsTimeout,
        256,
        Optional.empty(),
        Tls.disabled(),
        Duration.ZERO,
        Duration.ZERO);
  }

  @Override
  public String toString() {
    // Never print the token.
    return "HttpSettings[host="
        + host
        + ", port="
        + port
        + ", askTimeout="
        + askTimeout
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", retryAfterSeconds="
        + retryAfterSeconds
        + ", adminToken="
        + (adminToken.isPresent() ? "<set>" : "<none>")
        + ", shardStatsTimeout="
        + shardStatsTimeout
        + ", maxInFlight="
        + maxInFlight
        + ", apiToken="
        + (apiToken.isPresent() ? "<set>" : "<none>")
        + ", tls="
        + tls
        + ", shutdownDrain="
        + shutdownDrain
        + ", resendAfter="
        + resendAfter
        + "]";
  }

  public static HttpSettings create(ActorSystem<?> system) {
    return create(system.settings().config());
  }

  public static HttpSettings create(Config config) {
    Config c = config.getConfig("starfish.http");
    return new HttpSettings(
        c.getString("interface"),
        c.getInt("port"),
        c.getDuration("ask-timeout"),
        c.getBytes("max-body-size"),
        c.getInt("retry-after-seconds"),
        Optional.of(c.getString("admin-token").strip()).filter(token -> !token.isEmpty()),
        c.getDuration("shard-stats-timeout"),
        c.getInt("max-in-flight"),
        Optional.of(c.getString("api-token").strip()).filter(token -> !token.isEmpty()),
        new Tls(
            c.getBoolean("tls.enabled"),
            c.getString("tls.keystore"),
            c.getString("tls.keystore-password"),
            c.getString("tls.self-signed-keystore")),
        c.getDuration("shutdown-drain"),
        c.getDuration("resend-after"));
  }

  public HttpSettings withPort(int newPort) {
    return new HttpSettings(
        host,
        newPort,
        askTimeout,
        maxBodyBytes,
        retryAfterSeconds,
        adminToken,
        shardStatsTimeout,
        maxInFlight,
        apiToken,
        tls,
        shutdownDrain,
        resendAfter);
  }

  public HttpSettings withMaxInFlight(int newMaxInFlight) {
    return new HttpSettings(
        host,
        port,
        askTimeout,
        maxBodyBytes,
        retryAfterSeconds,
        adminToken,
        shardStatsTimeout,
        newMaxInFlight,
        apiToken,
        tls,
        shutdownDrain,
        resendAfter);
  }

  public HttpSettings withApiToken(String token) {
    return new HttpSettings(
        host,
        port,
        askTimeout,
        maxBodyBytes,
        retryAfterSeconds,
        adminToken,
        shardStatsTimeout,
        maxInFlight,
        Optional.of(token),
        tls,
        shutdownDrain,
        resendAfter);
  }

  public HttpSettings withTls(Tls newTls) {
    return new HttpSettings(
        host,
        port,
        askTimeout,
        maxBodyBytes,
        retryAfterSeconds,
        adminToken,
        shardStatsTimeout,
        maxInFlight,
        apiToken,
        newTls,
        shutdownDrain,
        resendAfter);
  }

  /** "https" or "http". */
  public String scheme() {
    return tls.enabled() ? "https" : "http";
  }
}
