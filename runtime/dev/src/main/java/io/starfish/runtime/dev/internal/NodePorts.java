package io.starfish.runtime.dev.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The ports of dev node {@code i} (from 1) on 127.0.0.1: remoting 25519+i, HTTP 8079+i and
 * management (Cluster Bootstrap) 8557+i.
 */
public record NodePorts(int remote, int http, int management) {

  public static final int BASE_REMOTE_PORT = 25520;
  public static final int BASE_HTTP_PORT = 8080;
  public static final int BASE_MANAGEMENT_PORT = 8558;
  public static final int MAX_NODES = 9;

  public static NodePorts of(int index) {
    return new NodePorts(
        BASE_REMOTE_PORT + index - 1, BASE_HTTP_PORT + index - 1, BASE_MANAGEMENT_PORT + index - 1);
  }

  /** The management endpoints of the first {@code count} nodes: the bootstrap contact points. */
  public static String bootstrapContactPoints(int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> "127.0.0.1:" + (BASE_MANAGEMENT_PORT + i))
        .collect(Collectors.joining(","));
  }

  /** True if none of the three ports is taken, so a node can start on them. */
  public boolean allFree() {
    return !isOpen(remote) && !isOpen(http) && !isOpen(management);
  }

  /** Something listens on 127.0.0.1:{@code port}. */
  public static boolean isOpen(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
