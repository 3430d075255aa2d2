package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.testing.EventStreamClient;
import io.starfish.http.testing.EventStreamClient.Message;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A client of {@code GET /api/v1/streams/{type}} as a real one behaves across node crashes: it
 * reads through one node, and when that connection ends it connects to another live node with the
 * id of the last event it received in {@code Last-Event-ID}, and skips the events a resumed stream
 * repeats (an entity's sequence numbers it already has). {@link #assertCarriesTheJournal} checks
 * what it kept against the journal: every event of each entity once, in order.
 */
final class TypeStreamFollower implements AutoCloseable {

  private final ForkedCluster cluster;
  private final String type;
  private final List<List<Message>> fromEndedConnections = new ArrayList<>();
  private EventStreamClient current;
  private Node via;
  private int connections;

  private TypeStreamFollower(ForkedCluster cluster, String type) {
    this.cluster = cluster;
    this.type = type;
  }

  /** Opens the stream from its beginning (no Last-Event-ID) through {@code via}. */
  static TypeStreamFollower open(ForkedCluster cluster, String type, Node via) {
    TypeStreamFollower follower = new TypeStreamFollower(cluster, type);
    follower.connect(via, Optional.empty());
    return follower;
  }

  /** Whether the current connection ended (its node was killed or stopped). */
  synchronized boolean connectionEnded() {
    return current.ended();
  }

  /** After the current connection ended: resumes through another live node after the last id. */
  synchronized void resumeThroughAnotherNode() {
    if (!current.ended()) {
      throw new IllegalStateException("the connection through " + via + " has not ended");
    }
    current.close();
    List<Message> all = received();
    fromEndedConnections.add(current.received());
    Optional<String> lastId =
        all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1).id());
    Node other =
        cluster.nodes().stream()
            .filter(node -> node != via && node.isAlive())
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no live node to resume through"));
    connect(other, lastId);
  }

  /** Every message received, over all connections, in order. */
  synchronized List<Message> received() {
    List<Message> all = new ArrayList<>();
    perConnection().forEach(all::addAll);
    return all;
  }

  private synchronized List<List<Message>> perConnection() {
    List<List<Message>> all = new ArrayList<>(fromEndedConnections);
    all.add(current.received());
    return all;
  }

  synchronized int connections() {
    return connections;
  }

  /**
   * Waits until the client kept as many events of each of {@code ids} as its journal holds (read
   * through the history API), then asserts that it kept exactly those, in sequence order, and that
   * no connection delivered an entity's event twice or out of order. The client keeps an event when
   * its sequence number is above the highest it has for that entity (a resumed stream starts again
   * a little before its Last-Event-ID, so it repeats events from earlier connections). A skipped
   * event never completes the wait; a kept event out of order fails the equality.
   */
  void assertCarriesTheJournal(List<String> ids, Duration deadline) {
    Map<String, List<Long>> journal = new HashMap<>();
    for (String id : ids) {
      String path = "/api/v1/entities/" + type + "/" + id + "/events?limit=1000";
      List<Long> seqNrs = new ArrayList<>();
      cluster
          .getJson(cluster.node(1), path)
          .orElseThrow(() -> new IllegalStateException("no answer to " + path))
          .path("events")
          .forEach(event -> seqNrs.add(event.path("seqNr").asLong()));
      journal.put(id, seqNrs);
    }
    List<Map<String, List<Long>>> kept = new ArrayList<>(List.of(Map.of()));
    try {
      ForkedCluster.await(
          "the " + type + " stream carrying every journalled event of " + ids.size() + " entities",
          deadline,
          () -> {
            kept.set(0, keptById(ids, received()));
            return journal.entrySet().stream()
                .allMatch(
                    e ->
                        kept.get(0).getOrDefault(e.getKey(), List.of()).size()
                            >= e.getValue().size());
          });
    } finally {
      // On a timeout too: the comparison names what is missing.
      assertThat(kept.get(0))
          .as("sequence numbers kept per %s (%d connections) vs its journal", type, connections)
          .isEqualTo(journal);
    }
    List<List<Message>> connectionsReceived = perConnection();
    for (int i = 0; i < connectionsReceived.size(); i++) {
      seqNrsById(ids, connectionsReceived.get(i))
          .forEach(
              (id, seqNrs) ->
                  assertThat(seqNrs)
                      .as("sequence numbers of %s on one connection", id)
                      .isSorted()
                      .doesNotHaveDuplicates());
    }
  }

  /** How many events the client received again (and skipped) over all its connections. */
  int repeated(List<String> ids) {
    List<Message> all = received();
    int kept = keptById(ids, all).values().stream().mapToInt(List::size).sum();
    int total = seqNrsById(ids, all).values().stream().mapToInt(List::size).sum();
    return total - kept;
  }

  @Override
  public synchronized void close() {
    if (current != null) {
      current.close();
    }
  }

  /** Each entity's events as a client keeps them: those above the highest it already has. */
  private static Map<String, List<Long>> keptById(List<String> ids, List<Message> messages) {
    Map<String, List<Long>> kept = new HashMap<>();
    for (Map.Entry<String, Long> event : seqNrsInOrder(ids, messages)) {
      List<Long> had = kept.computeIfAbsent(event.getKey(), k -> new ArrayList<>());
      if (had.isEmpty() || event.getValue() > had.get(had.size() - 1)) {
        had.add(event.getValue());
      }
    }
    return kept;
  }

  private static Map<String, List<Long>> seqNrsById(List<String> ids, List<Message> messages) {
    Map<String, List<Long>> seqNrs = new HashMap<>();
    for (Map.Entry<String, Long> event : seqNrsInOrder(ids, messages)) {
      seqNrs.computeIfAbsent(event.getKey(), k -> new ArrayList<>()).add(event.getValue());
    }
    return seqNrs;
  }

  /** The (entity id, seqNr) of each message about one of {@code ids}, in the order received. */
  private static List<Map.Entry<String, Long>> seqNrsInOrder(
      List<String> ids, List<Message> messages) {
    List<Map.Entry<String, Long>> pairs = new ArrayList<>();
    for (Message message : messages) {
      JsonNode data;
      try {
        data = EntityJson.MAPPER.readTree(message.data());
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + message, e);
      }
      String id = data.path("id").asText();
      if (ids.contains(id)) {
        pairs.add(Map.entry(id, data.path("seqNr").asLong()));
      }
    }
    return pairs;
  }

  private void connect(Node node, Optional<String> lastId) {
    URI uri = URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/streams/" + type);
    try {
      current = EventStreamClient.open(uri, lastId);
    } catch (Exception e) {
      throw new IllegalStateException("cannot open " + uri, e);
    }
    assertThat(current.status()).as("status of %s", uri).isEqualTo(200);
    via = node;
    connections++;
  }
}
