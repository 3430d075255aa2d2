package io.starfish.persistence.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.starfish.persistence.testing.TestCassandra;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestCassandra.class)
class EmbeddedCassandraIT {

  private static final Path WORK =
      Path.of(System.getProperty("starfish.test.work-dir", "target/it-work"));

  private static CqlSession connect(EmbeddedCassandra cassandra) {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress("127.0.0.1", cassandra.cqlPort()))
        .withLocalDatacenter("datacenter1")
        .build();
  }

  @Test
  void dataWrittenBeforeAStopIsReadAfterTheNextStart() {
    EmbeddedCassandra first = TestCassandra.instance();
    long firstPid = first.pid();
    try (CqlSession session = connect(first)) {
      session.execute(
          "CREATE KEYSPACE IF NOT EXISTS it_embedded WITH replication ="
              + " {'class':'SimpleStrategy','replication_factor':1}");
      session.execute("CREATE TABLE IF NOT EXISTS it_embedded.kv (k text PRIMARY KEY, v int)");
      session.execute("INSERT INTO it_embedded.kv (k, v) VALUES ('answer', 42)");
    }

    TestCassandra.stop();
    assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false))
        .as("the Cassandra process is gone after stop()")
        .isFalse();

    EmbeddedCassandra second = TestCassandra.instance();
    assertThat(second.pid()).isNotEqualTo(firstPid);
    try (CqlSession session = connect(second)) {
      Row row = session.execute("SELECT v FROM it_embedded.kv WHERE k = 'answer'").one();
      assertThat(row).isNotNull();
      assertThat(row.getInt("v")).isEqualTo(42);
    }
  }

  @Test
  void aTakenPortFailsAtOnceWithAClearMessage() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      EmbeddedCassandra.Settings settings =
          EmbeddedCassandra.Settings.in(WORK.resolve("port-taken"))
              .withPorts(taken.getLocalPort(), TestCassandra.freePort());

      assertThatThrownBy(() -> EmbeddedCassandra.start(settings))
          .isInstanceOf(CassandraStartException.class)
          .hasMessageContaining("CQL port 127.0.0.1:" + taken.getLocalPort())
          .hasMessageContaining("already in use");
    }
  }

  @Test
  void aStartupTimeoutStopsTheChildAndSaysWhatItWaitedFor() {
    List<String> progress = new ArrayList<>();
    Path dir = WORK.resolve("timeout");
    EmbeddedCassandra.Settings settings =
        EmbeddedCassandra.Settings.in(dir)
            .withPorts(TestCassandra.freePort(), TestCassandra.freePort())
            .withStartupTimeout(Duration.ofMillis(500))
            .withProgress(progress::add);

    assertThatThrownBy(() -> EmbeddedCassandra.start(settings))
        .isInstanceOf(CassandraStartException.class)
        .hasMessageContaining("did not open its CQL port");

    assertThat(progress).anySatisfy(line -> assertThat(line).startsWith("starting Cassandra"));
    assertThat(
            ProcessHandle.allProcesses()
                .filter(
                    p ->
                        p.info().arguments().stream()
                            .flatMap(java.util.Arrays::stream)
                            .anyMatch(arg -> arg.contains(dir.toAbsolutePath().toString()))))
        .as("no Cassandra process is left behind for " + dir)
        .isEmpty();
  }

  @Test
  void tooLittleMemoryIsRefusedBeforeAnythingStarts() {
    EmbeddedCassandra.Settings settings =
        EmbeddedCassandra.Settings.in(WORK.resolve("memory"))
            .withPorts(TestCassandra.freePort(), TestCassandra.freePort())
            .withMaxHeapMb(64 * 1024 * 1024);

    assertThatThrownBy(() -> EmbeddedCassandra.start(settings))
        .isInstanceOf(CassandraStartException.class)
        .hasMessageContaining("not enough memory");
  }
}
