package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityJson;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The response bodies' records, byte for byte as the API contract (openapi.json) shows them: field
 * names and order, nulls that stay present and the optional fields that do not.
 */
class ResponseBodiesTest {

  private static String json(Object body) {
    return new String(JsonResponses.bytes(body), StandardCharsets.UTF_8);
  }

  private static JsonNode tree(String json) throws Exception {
    return EntityJson.MAPPER.readTree(json);
  }

  @Test
  void entityEnvelopes() throws Exception {
    assertThat(json(new EntityAnswers.State("account", "a-1", 3, tree("{\"balance\":5}"))))
        .isEqualTo("{\"type\":\"account\",\"id\":\"a-1\",\"version\":3,\"state\":{\"balance\":5}}");
    assertThat(json(new EntityAnswers.Replied("account", "a-1", 4, tree("[1.5]"), null)))
        .isEqualTo(
            "{\"type\":\"account\",\"id\":\"a-1\",\"version\":4,\"state\":[1.5],\"reply\":null}");
  }

  @Test
  void adminAnswers() {
    assertThat(json(new AdminRoutes.CrashRequested("account", "a-1", "crash requested")))
        .isEqualTo("{\"type\":\"account\",\"id\":\"a-1\",\"status\":\"crash requested\"}");
    LinkedHashSet<String> peers = new LinkedHashSet<>(List.of("pekko://s@h:2", "pekko://s@h:1"));
    assertThat(json(new AdminRoutes.Cut("pekko://s@h:3", peers)))
        .isEqualTo("{\"node\":\"pekko://s@h:3\",\"cut\":[\"pekko://s@h:2\",\"pekko://s@h:1\"]}");
    assertThat(json(new AdminRoutes.Healed("pekko://s@h:3", new LinkedHashSet<>())))
        .isEqualTo("{\"node\":\"pekko://s@h:3\",\"healed\":[]}");
    assertThat(json(new AdminRoutes.Leaving("pekko://s@h:3", "leaving")))
        .isEqualTo("{\"node\":\"pekko://s@h:3\",\"status\":\"leaving\"}");
  }

  @Test
  void clusterMembersKeepANullLeaderAndOldest() {
    ClusterRoutes.MemberView member =
        new ClusterRoutes.MemberView("pekko://s@h:1", "Up", List.of("a", "b"), true, "default");
    assertThat(json(new ClusterRoutes.Members("pekko://s@h:1", null, null, List.of(member))))
        .isEqualTo(
            "{\"self\":\"pekko://s@h:1\",\"leader\":null,\"oldest\":null,\"members\":"
                + "[{\"address\":\"pekko://s@h:1\",\"status\":\"Up\",\"roles\":[\"a\",\"b\"],"
                + "\"reachable\":true,\"dataCenter\":\"default\"}]}");
  }

  @Test
  void healingStepsHaveADurationOnlyWhenTimed() {
    ClusterRoutes.Step untimed =
        new ClusterRoutes.Step(
            "1970-01-01T00:00:00.001Z", 1, "member-unreachable", "pekko://s@h:2", null, null, null);
    ClusterRoutes.Step timed =
        new ClusterRoutes.Step(
            "1970-01-01T00:00:00.002Z",
            2,
            "member-downed",
            "pekko://s@h:2",
            "downed",
            1L,
            "member-unreachable");
    assertThat(json(new ClusterRoutes.Timeline("pekko://s@h:1", List.of(untimed, timed))))
        .isEqualTo(
            "{\"node\":\"pekko://s@h:1\",\"events\":["
                + "{\"time\":\"1970-01-01T00:00:00.001Z\",\"at\":1,\"kind\":\"member-unreachable\","
                + "\"member\":\"pekko://s@h:2\",\"detail\":null},"
                + "{\"time\":\"1970-01-01T00:00:00.002Z\",\"at\":2,\"kind\":\"member-downed\","
                + "\"member\":\"pekko://s@h:2\",\"detail\":\"downed\",\"durationMs\":1,"
                + "\"durationFrom\":\"member-unreachable\"}]}");
  }

  @Test
  void shardPlacement() {
    Map<String, Integer> shards = new LinkedHashMap<>();
    shards.put("7", 2);
    shards.put("1", 1);
    Map<String, Map<String, ClusterRoutes.NodeShards>> body = new LinkedHashMap<>();
    body.put(
        "account",
        Map.of("pekko://s@h:1", new ClusterRoutes.NodeShards(2, 3, shards, List.of("9"))));
    assertThat(json(body))
        .isEqualTo(
            "{\"account\":{\"pekko://s@h:1\":{\"shardCount\":2,\"entityCount\":3,"
                + "\"shards\":{\"7\":2,\"1\":1},\"failedShards\":[\"9\"]}}}");
  }

  @Test
  void health() throws Exception {
    Map<String, String> checks = new LinkedHashMap<>();
    checks.put("member-up", "ok");
    checks.put("journal", "ok");
    assertThat(json(new HealthRoutes.Alive("alive"))).isEqualTo("{\"status\":\"alive\"}");
    assertThat(json(new HealthRoutes.Ready("ready", checks)))
        .isEqualTo("{\"status\":\"ready\",\"checks\":{\"member-up\":\"ok\",\"journal\":\"ok\"}}");
  }
}
