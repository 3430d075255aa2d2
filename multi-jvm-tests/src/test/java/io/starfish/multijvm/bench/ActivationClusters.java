package io.starfish.multijvm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.starfish.multijvm.ForkedCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The two clusters the activation benchmark starts entities on, behind one interface: Starfish's
 * (ForkedCluster, the example application's {@code counter}) and the plain Pekko baseline's ({@link
 * PlainPekkoNode}: the same counter as a bare sharded EventSourcedBehavior with remember-entities,
 * on the plugin's own unfenced journal). Requests go to the three nodes in turn, by the id's hash,
 * so each node takes a third of the HTTP traffic.
 */
final class ActivationClusters {

  private ActivationClusters() {}

  /** A 3-node cluster as the benchmark drives it. */
  interface Nodes extends AutoCloseable {
    void start(Duration timeout) throws Exception;

    /** The first command to entity {@code id}: add 1. */
    HttpRequest create(String id);

    /** A read of entity {@code id}, which starts it. */
    HttpRequest read(String id);

    /** Counters running over all nodes. */
    long running() throws Exception;

    /** Stops every node (SIGTERM; their remembered entities stay in Cassandra). */
    void stopAll() throws Exception;

    List<Long> pids();

    @Override
    void close();
  }

  static Nodes starfish(String name, Map<String, String> environment, int heapMb) {
    return new StarfishNodes(new ForkedCluster("bench-activation-" + name, 3, environment, heapMb));
  }

  static Nodes plainPekko(Map<String, String> environment, int heapMb, String contactPoint) {
    return new PlainNodes(environment, heapMb, contactPoint);
  }

  private record StarfishNodes(ForkedCluster cluster) implements Nodes {
    @Override
    public void start(Duration timeout) {
      cluster.start(timeout);
    }

    @Override
    public HttpRequest create(String id) {
      return post(uri(id), "{\"type\":\"increment\",\"by\":1}");
    }

    @Override
    public HttpRequest read(String id) {
      return get(uri(id));
    }

    private URI uri(String id) {
      ForkedCluster.Node node =
          cluster.nodes().get(Math.floorMod(id.hashCode(), cluster.nodes().size()));
      return URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/entities/counter/" + id);
    }

    @Override
    public long running() {
      return BenchSupport.runningEntities(cluster, cluster.node(1), "counter");
    }

    @Override
    public void stopAll() {
      cluster.stopAllNodes(Duration.ofMinutes(2));
    }

    @Override
    public List<Long> pids() {
      return cluster.nodes().stream()
          .filter(ForkedCluster.Node::isAlive)
          .map(ForkedCluster.Node::pid)
          .toList();
    }

    @Override
    public void close() {
      cluster.close();
    }
  }

  /** Plain Pekko: a stop closes the cluster's processes, a start after it starts new ones. */
  private static final class PlainNodes implements Nodes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> environment;
    private final int heapMb;
    private final String contactPoint;
    private final HttpClient http = HttpClient.newHttpClient();
    private PlainPekkoCluster cluster;

    PlainNodes(Map<String, String> environment, int heapMb, String contactPoint) {
      this.environment = environment;
      this.heapMb = heapMb;
      this.contactPoint = contactPoint;
    }

    @Override
    public void start(Duration timeout) throws IOException {
      cluster = new PlainPekkoCluster(3, heapMb, environment, contactPoint);
      cluster.start(timeout);
    }

    @Override
    public HttpRequest create(String id) {
      return post(uri(id), "{\"by\":1}");
    }

    @Override
    public HttpRequest read(String id) {
      return get(uri(id));
    }

    private URI uri(String id) {
      int port = cluster.httpPorts.get(Math.floorMod(id.hashCode(), cluster.httpPorts.size()));
      return URI.create("http://127.0.0.1:" + port + "/counter/" + id);
    }

    /** Each node's own count (GET /entities is the node's shard region), summed. */
    @Override
    public long running() throws Exception {
      long total = 0;
      for (int port : cluster.httpPorts) {
        HttpResponse<String> response =
            http.send(
                get(URI.create("http://127.0.0.1:" + port + "/entities")),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          return -1;
        }
        total += JSON.readTree(response.body()).path("running").asLong();
      }
      return total;
    }

    @Override
    public void stopAll() {
      close();
    }

    @Override
    public List<Long> pids() {
      return cluster == null
          ? List.of()
          : cluster.processes.stream().filter(Process::isAlive).map(Process::pid).toList();
    }

    @Override
    public void close() {
      if (cluster != null) {
        cluster.close();
        cluster = null;
      }
    }
  }

  private static HttpRequest post(URI uri, String body) {
    return HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static HttpRequest get(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build();
  }
}
