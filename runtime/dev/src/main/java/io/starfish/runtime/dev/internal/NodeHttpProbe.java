package io.starfish.runtime.dev.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Asks a node's HTTP API on 127.0.0.1 about its readiness and its view of the cluster. */
public final class NodeHttpProbe {

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** "ready", the node's reason for not being ready, or "starting" while it does not answer. */
  public String readiness(int httpPort) {
    try {
      HttpResponse<String> response = get(httpPort, "/health/ready");
      if (response.statusCode() == 200) {
        return "ready";
      }
      JsonNode detail = EntityJson.MAPPER.readTree(response.body()).path("detail");
      return detail.isTextual() ? detail.asText() : "HTTP " + response.statusCode();
    } catch (IOException e) {
      return "starting";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Member status per remoting port, as the first of {@code httpPorts} that answers sees the
   * cluster; an unreachable member's status is suffixed with "(unreachable)". Empty if none
   * answers.
   */
  public Map<Integer, String> memberStatus(List<Integer> httpPorts) {
    for (int port : httpPorts) {
      try {
        Optional<Map<Integer, String>> status = memberStatus(port);
        if (status.isPresent()) {
          return status.get();
        }
      } catch (IOException | RuntimeException e) {
        // try the next node
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return Map.of();
  }

  private Optional<Map<Integer, String>> memberStatus(int httpPort)
      throws IOException, InterruptedException {
    HttpResponse<String> response = get(httpPort, "/api/v1/cluster");
    if (response.statusCode() != 200) {
      return Optional.empty();
    }
    Map<Integer, String> status = new HashMap<>();
    for (JsonNode member : EntityJson.MAPPER.readTree(response.body()).path("members")) {
      String address = member.path("address").asText();
      int remotePort = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      status.put(
          remotePort,
          member.path("status").asText()
              + (member.path("reachable").asBoolean(true) ? "" : " (unreachable)"));
    }
    return Optional.of(status);
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(3))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
