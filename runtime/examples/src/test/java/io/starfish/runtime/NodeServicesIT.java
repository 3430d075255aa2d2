package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.persistence.testing.TestCassandra;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The node's runtime services are supervised: a failed service comes back, the node stays up. */
@ExtendWith(TestCassandra.class)
class NodeServicesIT {

  @Test
  void theHttpServerBindsAgainWhenItsBindingEndsWhileTheNodeRuns() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (TestNode node = TestNode.start("starfish.http.port = " + port + "\n")) {
      assertThat(node.running().httpPort()).isEqualTo(port);

      // the server stops serving, as if its binding had failed
      node.running()
          .http()
          .terminate(Duration.ofSeconds(1))
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);

      Awaitility.await("HTTP served again on the same port")
          .atMost(20, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> node.get("/health/ready").statusCode() == 200);
      assertThat(node.system().getWhenTerminated().toCompletableFuture().isDone()).isFalse();
    }
  }
}
