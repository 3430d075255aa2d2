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
 */
public record HttpSettings(
    String host,
    int port,
    Duration askTimeout,
    long maxBodyBytes,
    int retryAfterSeconds,
    Optional<String> adminToken,
    Duration shardStatsTimeout) {

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
        c.getDuration("shard-stats-timeout"));
  }

  public HttpSettings withPort(int newPort) {
    return new HttpSettings(
        host, newPort, askTimeout, maxBodyBytes, retryAfterSeconds, adminToken, shardStatsTimeout);
  }
}
