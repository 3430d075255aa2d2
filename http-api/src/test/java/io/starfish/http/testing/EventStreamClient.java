package io.starfish.http.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events client for tests, as a browser's EventSource reads a stream: it collects
 * every message (id, event name, data) on a thread of its own until the stream ends or it is
 * closed. Comment lines (heartbeats) are ignored.
 */
public final class EventStreamClient implements AutoCloseable {

  /** One SSE message. */
  public record Message(String id, String event, String data) {}

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final int status;
  private final InputStream body;
  private final Thread reader;
  private final List<Message> received = new ArrayList<>();
  private volatile boolean ended;

  private EventStreamClient(HttpResponse<InputStream> response) {
    this.status = response.statusCode();
    this.body = response.body();
    this.reader = new Thread(this::read, "sse-client");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Opens the stream at {@code uri}, sending {@code lastEventId} as Last-Event-ID when present;
   * returns once the response headers are in.
   */
  public static EventStreamClient open(URI uri, Optional<String> lastEventId) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
    lastEventId.ifPresent(id -> request.header("Last-Event-ID", id));
    HttpResponse<InputStream> response =
        CLIENT
            .sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
            .get(15, TimeUnit.SECONDS);
    return new EventStreamClient(response);
  }

  /** The response's HTTP status. */
  public int status() {
    return status;
  }

  /** The messages received so far, in order. */
  public List<Message> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** Whether the server closed the stream (or the connection broke). */
  public boolean ended() {
    return ended;
  }

  private void read() {
    String id = null;
    String event = null;
    StringBuilder data = null;
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isEmpty()) {
          if (data != null) {
            synchronized (received) {
              received.add(new Message(id, event, data.toString()));
            }
          }
          id = null;
          event = null;
          data = null;
        } else if (line.startsWith(":")) {
          continue;
        } else if (line.startsWith("id:")) {
          id = value(line);
        } else if (line.startsWith("event:")) {
          event = value(line);
        } else if (line.startsWith("data:")) {
          data =
              data == null ? new StringBuilder(value(line)) : data.append('\n').append(value(line));
        }
      }
    } catch (IOException | RuntimeException e) {
      // The connection broke (the node was killed) or close() cancelled it.
    } finally {
      ended = true;
    }
  }

  private static String value(String line) {
    String value = line.substring(line.indexOf(':') + 1);
    return value.startsWith(" ") ? value.substring(1) : value;
  }

  /** Cancels the stream (closes its connection). */
  @Override
  public void close() {
    try {
      // Closing the body cancels the exchange: the connection is closed, the server sees the end.
      body.close();
    } catch (IOException e) {
      // already broken
    }
    try {
      reader.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
