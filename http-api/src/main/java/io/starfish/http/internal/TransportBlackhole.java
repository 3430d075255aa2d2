package io.starfish.http.internal;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.RemoteTransport;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import scala.concurrent.Await;

/**
 * Cuts this node's remoting traffic to and from chosen peers, with Pekko Artery's test mode (the
 * mechanism of Pekko's own multi-node tests: a stage in every inbound and outbound stream drops the
 * messages of blackholed peers, heartbeats included). The node's HTTP API and its Cassandra
 * connections are untouched, which is the dangerous kind of partition: the cut-off node can still
 * write to the journal until the split-brain resolver stops it.
 *
 * <p>Only available when {@code pekko.remote.artery.advanced.test-mode = on}; the stages cost a
 * little on every message, so it is off by default.
 *
 * <p>The command types come from classic remoting's throttler (deprecated with classic remoting);
 * Artery's test mode still takes them, and Pekko's own multi-node testkit sends them.
 */
@SuppressWarnings("deprecation")
public final class TransportBlackhole {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final Set<String> cut = new TreeSet<>();

  public TransportBlackhole(ActorSystem<?> system) {
    this.system = system;
  }

  public boolean available() {
    return system.settings().config().getBoolean("pekko.remote.artery.enabled")
        && system.settings().config().getBoolean("pekko.remote.artery.advanced.test-mode");
  }

  /** Parses a peer address such as {@code pekko://starfish@127.0.0.1:25521}. */
  public static Address parse(String address) {
    Address parsed;
    try {
      parsed = AddressFromURIString.parse(address);
    } catch (Exception e) { // Scala throws java.net.URISyntaxException without declaring it
      throw new IllegalArgumentException("not an address: " + e.getMessage(), e);
    }
    if (parsed.host().isEmpty() || parsed.port().isEmpty()) {
      throw new IllegalArgumentException("not a remote address with host and port: " + address);
    }
    return parsed;
  }

  /** Drops all traffic between this node and {@code peer}, both directions. */
  public synchronized void cut(Address peer) throws Exception {
    command(new ThrottlerTransportAdapter.SetThrottle(peer, both(), blackhole()));
    cut.add(peer.toString());
  }

  /** Lets traffic to and from every cut peer through again; returns the peers that were cut. */
  public synchronized Set<String> healAll() throws Exception {
    Set<String> healed = new TreeSet<>(cut);
    for (String peer : healed) {
      command(new ThrottlerTransportAdapter.SetThrottle(parse(peer), both(), unthrottled()));
    }
    cut.clear();
    return healed;
  }

  public synchronized Set<String> cutPeers() {
    return new TreeSet<>(cut);
  }

  private void command(Object command) throws Exception {
    RemoteTransport transport = ((RARP) RARP.apply(system.classicSystem())).provider().transport();
    Await.result(
        transport.managementCommand(command),
        scala.concurrent.duration.Duration.create(
            COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
  }

  private static ThrottlerTransportAdapter.Direction both() {
    return ThrottlerTransportAdapter.bothDirection();
  }

  private static ThrottlerTransportAdapter.ThrottleMode blackhole() {
    return ThrottlerTransportAdapter.blackholeThrottleMode();
  }

  private static ThrottlerTransportAdapter.ThrottleMode unthrottled() {
    return ThrottlerTransportAdapter.unthrottledThrottleMode();
  }
}
