package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.persistence.testing.TestTools;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * GET /metrics of a real node (embedded Cassandra) after traffic: the exposition passes {@code
 * promtool check metrics} (Prometheus' own linter; installed by .ci/install-test-tools.sh) and
 * holds the series operators need, with values that follow the traffic.
 */
@ExtendWith(TestCassandra.class)
class MetricsIT {

  private static final Path SAMPLE = Path.of("target/metrics-sample.txt");

  /** The value of the first sample of {@code series} whose labels contain every given pair. */
  private static double value(String exposition, String series, String... labels) {
    Pattern line =
        Pattern.compile("^" + Pattern.quote(series) + "(\\{.*\\})?\\s+(\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(exposition);
    while (m.find()) {
      String found = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (String label : labels) {
        all &= found.contains(label);
      }
      if (all) {
        return Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no sample of " + series + " with " + String.join(",", labels));
  }

  /** Runs a tool with its output in {@code output}; stopped by PID if it hangs. */
  private static int run(ProcessBuilder builder, Path output) throws Exception {
    Process process = builder.redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS))
          .as(builder.command() + " finished")
          .isTrue();
      return process.exitValue();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void metricsPassPromtoolAndHoldTheNamedSeriesAfterTraffic() throws Exception {
    TestTools.ensureInstalled();
    try (TestNode node = TestNode.start("starfish.http.admin-token = \"adm1n\"")) {
      for (int i = 0; i < 5; i++) {
        assertThat(
                node.post("/api/v1/entities/account/m-" + i, "{\"type\":\"deposit\",\"amount\":10}")
                    .statusCode())
            .isEqualTo(200);
      }
      assertThat(
              node.post("/api/v1/entities/account/m-0", "{\"type\":\"withdraw\",\"amount\":999}")
                  .statusCode())
          .isEqualTo(409);
      assertThat(node.get("/api/v1/entities/nope/x").statusCode()).isEqualTo(404);
      assertThat(node.get("/api/v1/entities/account/m-1").statusCode()).isEqualTo(200);
      HttpResponse<String> crash =
          node.send(
              HttpRequest.newBuilder(node.uri("/api/v1/admin/entities/account/m-2/crash"))
                  .header("Authorization", "Bearer adm1n")
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(crash.statusCode()).as(crash.body()).isEqualTo(202);

      // The restart is counted once supervision has restarted the entity (after its backoff).
      Awaitility.await("the crashed entity counted as restarted")
          .atMost(30, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  value(
                          node.get("/metrics").body(),
                          "starfish_entity_restarts_total",
                          "type=\"account\"")
                      >= 1);
      // gauges refresh every starfish.timeline.poll-interval
      Awaitility.await("the active-entity gauge sees the accounts")
          .atMost(30, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  value(node.get("/metrics").body(), "starfish_entities_active", "type=\"account\"")
                      >= 5);

      // So that the GC meters have samples (the node shares this JVM). The pause timer appears
      // when the JVM's GC notification has been handled, on its own thread: wait for it.
      System.gc();
      Awaitility.await("a GC pause recorded")
          .atMost(30, TimeUnit.SECONDS)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> node.get("/metrics").body().contains("jvm_gc_pause_seconds_sum"));
      HttpResponse<String> response = node.get("/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      String metrics = response.body();
      Files.createDirectories(SAMPLE.getParent());
      Files.writeString(SAMPLE, metrics);

      Process promtool =
          new ProcessBuilder("promtool", "check", "metrics")
              .redirectInput(SAMPLE.toFile())
              .redirectErrorStream(true)
              .start();
      assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(promtool.exitValue())
          .as("promtool check metrics on %s: %s", SAMPLE, lint)
          .isZero();
      assertThat(lint).as("promtool's findings").isBlank();

      String entityRoute = "route=\"/api/v1/entities/{type}/{id}\"";
      assertThat(
              value(
                  metrics,
                  "starfish_http_requests_seconds_count",
                  entityRoute,
                  "method=\"POST\"",
                  "status=\"200\""))
          .isEqualTo(5);
      assertThat(
              value(metrics, "starfish_http_requests_seconds_count", entityRoute, "status=\"409\""))
          .isEqualTo(1);
      assertThat(
              value(
                  metrics,
                  "starfish_http_requests_seconds_count",
                  entityRoute,
                  "method=\"GET\"",
                  "status=\"404\""))
          .isEqualTo(1);
      assertThat(
              value(
                  metrics,
                  "starfish_http_requests_seconds_bucket",
                  entityRoute,
                  "method=\"POST\"",
                  "status=\"200\"",
                  "le=\"+Inf\""))
          .isEqualTo(5);
      assertThat(
              value(
                  metrics,
                  "starfish_entity_commands_seconds_count",
                  "type=\"account\"",
                  "outcome=\"accepted\""))
          .isEqualTo(5);
      assertThat(
              value(
                  metrics,
                  "starfish_entity_commands_seconds_count",
                  "type=\"account\"",
                  "outcome=\"rejected\""))
          .isEqualTo(1);
      assertThat(value(metrics, "starfish_entity_persist_seconds_count", "type=\"account\""))
          .isEqualTo(5);
      assertThat(
              value(
                  metrics,
                  "starfish_entity_persist_seconds_bucket",
                  "type=\"account\"",
                  "le=\"+Inf\""))
          .isEqualTo(5);
      assertThat(value(metrics, "starfish_entity_recovery_seconds_count", "type=\"account\""))
          .isGreaterThanOrEqualTo(6);
      assertThat(value(metrics, "starfish_shards_active", "type=\"account\""))
          .isGreaterThanOrEqualTo(1);
      assertThat(value(metrics, "starfish_entity_quarantined_commands_total", "type=\"account\""))
          .isZero();
      assertThat(value(metrics, "starfish_entity_crash_requests_total", "type=\"account\""))
          .isEqualTo(1);
      assertThat(value(metrics, "starfish_circuit_breaker_open", "breaker=\"journal\"")).isZero();
      assertThat(value(metrics, "starfish_cluster_members", "status=\"up\"")).isEqualTo(1);
      assertThat(value(metrics, "starfish_cluster_members", "status=\"down\"")).isZero();
      assertThat(value(metrics, "starfish_cluster_unreachable_members")).isZero();
      assertThat(value(metrics, "starfish_healing_unreachable_to_downed_seconds_count")).isZero();
      assertThat(value(metrics, "starfish_healing_downed_to_recovered_seconds_count")).isZero();
      assertThat(metrics)
          .as("heap pools with a used size")
          .containsPattern("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*\\} [1-9]");
      assertThat(metrics).contains("jvm_gc_", "process_cpu_usage", "jvm_threads_live_threads");

      grafanaDashboardQueriesParseAndUseOnlyServedSeries(metrics);
    }
  }

  /**
   * The Grafana dashboard in docs/grafana: every query is valid PromQL (promtool check rules, on
   * the queries written as recording rules) and names only series this node serves.
   */
  private static void grafanaDashboardQueriesParseAndUseOnlyServedSeries(String metrics)
      throws Exception {
    Path dashboard = TestTools.projectRoot().resolve("docs/grafana/starfish-dashboard.json");
    JsonNode json = new ObjectMapper().readTree(dashboard.toFile());
    List<String> queries = new ArrayList<>();
    json.findValues("expr").forEach(expr -> queries.add(expr.asText()));
    assertThat(queries).as("queries in " + dashboard).hasSizeGreaterThan(10);

    StringBuilder rules = new StringBuilder("groups:\n  - name: grafana-dashboard\n    rules:\n");
    for (int i = 0; i < queries.size(); i++) {
      rules
          .append("      - record: dashboard:query")
          .append(i)
          .append("\n        expr: '")
          .append(queries.get(i).replace("'", "''"))
          .append("'\n");
    }
    Path rulesFile = Path.of("target/grafana-queries.rules.yml");
    Files.writeString(rulesFile, rules);
    Path outFile = Path.of("target/grafana-queries.promtool.txt");
    int exit = run(new ProcessBuilder("promtool", "check", "rules", rulesFile.toString()), outFile);
    assertThat(exit).as("promtool check rules: " + Files.readString(outFile)).isZero();

    Pattern series = Pattern.compile("\\b((?:starfish|jvm|process)_[a-z_]+)\\b");
    for (String query : queries) {
      Matcher m = series.matcher(query);
      while (m.find()) {
        assertThat(metrics)
            .as("series %s of the Grafana query %s", m.group(1), query)
            .containsPattern("(?m)^" + Pattern.quote(m.group(1)) + "[{ ]");
      }
    }
  }
}
