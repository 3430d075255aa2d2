package io.starfish.multijvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.persistence.testing.TestCassandra;
import io.starfish.persistence.testing.TestTools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core from npm;
 * both installed by .ci/install-test-tools.sh) opens node 1's page of a 3-node cluster, sees three
 * nodes Up, then, after the test kills node 3 with SIGKILL, sees it turn unreachable and disappear.
 * Screenshots of each step go to target/dashboard/.
 */
@ExtendWith(TestCassandra.class)
class DashboardBrowserIT {

  private static final Path SCRIPT = Path.of("src/test/browser/dashboard-failover.cjs");
  private static final Path SCREENSHOTS = Path.of("target/dashboard");

  private ForkedCluster cluster;
  private Process browser;
  private final List<String> output = new ArrayList<>();

  @RegisterExtension
  final TestExecutionExceptionHandler clusterEventsOnFailure =
      ForkedCluster.addClusterEventsOnFailure(() -> cluster);

  @AfterEach
  void stopEverything() {
    if (browser != null) {
      // Chromium runs as the node script's child: stop the whole tree, by PID
      browser.descendants().forEach(ProcessHandle::destroyForcibly);
      browser.destroyForcibly();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The script's next line that starts with "STEP <step>"; fails on "FAIL", exit or timeout. */
  private String awaitStep(BlockingQueue<String> lines, String step, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        throw new AssertionError(
            "the browser did not report '" + step + "' within " + timeout + "; it said: " + output);
      }
      if (line.startsWith("FAIL") || line.equals("<exit>")) {
        throw new AssertionError("the browser script failed before '" + step + "': " + output);
      }
      if (line.startsWith("STEP " + step)) {
        return line;
      }
    }
  }

  @Test
  void theDashboardShowsThreeNodesThenOneTurnsUnreachableAndDisappearsAfterItIsKilled()
      throws Exception {
    Path nodeModules = TestTools.nodeModules();
    // A keyspace of its own: the entity counts the browser checks are then exactly this test's
    // accounts (earlier tests leave remembered entities in the shared Cassandra). A stable-after
    // of 5 s: the page (refreshed every second) must see the victim unreachable before it is
    // downed, and on a slow machine the kill can come after the resolver's warm-up (10 s), when
    // the default 0.5 s window is easily missed.
    cluster =
        new ForkedCluster(
            "dashboard",
            3,
            Map.of(
                "JAVA_TOOL_OPTIONS",
                "-Dpekko.persistence.cassandra.journal.keyspace=starfish_dashboard_it"
                    + " -Dpekko.persistence.cassandra.snapshot.keyspace=starfish_dashboard_it_snapshot"
                    + " -Dpekko.cluster.split-brain-resolver.stable-after=5s"),
            256);
    cluster.start(Duration.ofMinutes(3));
    Node served = cluster.node(1);
    Node victim = cluster.node(3);
    Files.createDirectories(SCREENSHOTS);
    int accounts = 20;
    for (int i = 0; i < accounts; i++) {
      java.net.http.HttpResponse<String> response =
          cluster.postUntilNot503(
              served,
              "/api/v1/entities/account/dash-" + i,
              "{\"type\":\"deposit\",\"amount\":1}",
              "dash-" + i);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    ProcessBuilder builder =
        new ProcessBuilder(
                "node",
                SCRIPT.toString(),
                "http://127.0.0.1:" + served.httpPort + "/",
                victim.address(),
                SCREENSHOTS.toString(),
                Integer.toString(accounts))
            .redirectErrorStream(true);
    builder.environment().put("NODE_PATH", nodeModules.toString());
    browser = builder.start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  System.out.println("[dashboard-browser] " + line);
                  synchronized (output) {
                    output.add(line);
                  }
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
              lines.add("<exit>");
            },
            "dashboard-browser-output");
    reader.setDaemon(true);
    reader.start();

    String three = awaitStep(lines, "three-nodes", Duration.ofSeconds(90));
    for (Node node : cluster.nodes()) {
      assertThat(three).contains(node.address() + " Up reachable=true entities=");
    }

    cluster.killNode(victim);
    try (Writer toBrowser =
        new java.io.OutputStreamWriter(browser.getOutputStream(), StandardCharsets.UTF_8)) {
      toBrowser.write("killed\n");
      toBrowser.flush();

      String unreachable = awaitStep(lines, "unreachable", Duration.ofSeconds(60));
      assertThat(unreachable).contains(victim.address() + " Up reachable=false entities=");

      String gone = awaitStep(lines, "gone", Duration.ofSeconds(120));
      assertThat(gone).doesNotContain(victim.address());
      assertThat(gone).contains(cluster.node(1).address()).contains(cluster.node(2).address());
      assertThat(gone).contains("member-unreachable").contains("member-downed");

      awaitStep(lines, "healed", Duration.ofSeconds(120));
    }
    assertThat(browser.waitFor(30, TimeUnit.SECONDS)).as("browser script exits").isTrue();
    assertThat(browser.exitValue()).as("browser script exit code; output %s", output).isZero();
    for (String shot :
        List.of(
            "1-three-nodes-up.png",
            "2-victim-unreachable.png",
            "3-victim-gone.png",
            "4-entities-back.png")) {
      byte[] png = Files.readAllBytes(SCREENSHOTS.resolve(shot));
      assertThat(png.length).as(shot).isGreaterThan(10_000);
      assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).as(shot).isEqualTo("PNG");
    }
  }
}
