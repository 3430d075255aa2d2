package io.starfish.persistence.embedded;

import io.starfish.persistence.embedded.internal.CassandraClassPath;
import io.starfish.persistence.embedded.internal.CassandraCommand;
import io.starfish.persistence.embedded.internal.CassandraConfigFiles;
import io.starfish.persistence.embedded.internal.CassandraProcess;
import io.starfish.persistence.embedded.internal.CqlPortWait;
import io.starfish.persistence.embedded.internal.PidFile;
import io.starfish.persistence.embedded.internal.PreflightChecks;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * A real Apache Cassandra node started in a child JVM from the {@code cassandra-all} jars of Maven
 * Central, for dev mode and tests: alone, or one of the ring of {@link EmbeddedCassandraCluster}.
 * Data and logs live in a folder the caller chooses, so a second start on the same folder sees the
 * same data.
 *
 * <p>{@link #start(Settings)} prints progress, returns once the CQL port answers, and fails with a
 * {@link CassandraStartException} that names the cause (port taken, too little memory, the process
 * exited, timeout) instead of hanging. The child exits by itself if this JVM dies.
 */
public final class EmbeddedCassandra implements AutoCloseable {

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Where and how to run the node.
   *
   * @param directory data, commit log, logs and the generated cassandra.yaml live here
   * @param host loopback address to listen on
   * @param cqlPort native protocol (CQL) port clients connect to
   * @param storagePort inter-node port (unused by a single node, but it must be free)
   * @param maxHeapMb -Xmx of the Cassandra JVM in MiB
   * @param startupTimeout how long to wait for the CQL port before giving up
   * @param progress receives human-readable progress lines
   * @param ring the node's place in a ring of several nodes ({@link Ring#single} by default)
   * @param passwordAuthentication clients must log in (Cassandra's PasswordAuthenticator, with the
   *     default superuser cassandra/cassandra); off by default
   */
  public record Settings(
      Path directory,
      String host,
      int cqlPort,
      int storagePort,
      int maxHeapMb,
      Duration startupTimeout,
      Consumer<String> progress,
      Ring ring,
      boolean passwordAuthentication) {

    /** Defaults: 127.0.0.1, CQL 9042, storage 7000, 512 MiB heap, 180 s timeout, stdout. */
    public static Settings in(Path directory) {
      return new Settings(
          directory,
          "127.0.0.1",
          9042,
          7000,
          512,
          Duration.ofSeconds(180),
          line -> System.out.println("[cassandra] " + line),
          null,
          false);
    }

    public Settings {
      if (ring == null) {
        ring = Ring.single(host, storagePort);
      }
    }

    public Settings withPorts(int cql, int storage) {
      return new Settings(
          directory,
          host,
          cql,
          storage,
          maxHeapMb,
          startupTimeout,
          progress,
          sameRingOr(storage),
          passwordAuthentication);
    }

    public Settings withHost(String address) {
      return new Settings(
          directory,
          address,
          cqlPort,
          storagePort,
          maxHeapMb,
          startupTimeout,
          progress,
          null,
          passwordAuthentication);
    }

    public Settings withDirectory(Path dir) {
      return new Settings(
          dir,
          host,
          cqlPort,
          storagePort,
          maxHeapMb,
          startupTimeout,
          progress,
          ring,
          passwordAuthentication);
    }

    public Settings withMaxHeapMb(int mb) {
      return new Settings(
          directory,
          host,
          cqlPort,
          storagePort,
          mb,
          startupTimeout,
          progress,
          ring,
          passwordAuthentication);
    }

    public Settings withStartupTimeout(Duration timeout) {
      return new Settings(
          directory,
          host,
          cqlPort,
          storagePort,
          maxHeapMb,
          timeout,
          progress,
          ring,
          passwordAuthentication);
    }

    public Settings withProgress(Consumer<String> sink) {
      return new Settings(
          directory,
          host,
          cqlPort,
          storagePort,
          maxHeapMb,
          startupTimeout,
          sink,
          ring,
          passwordAuthentication);
    }

    public Settings withRing(Ring membership) {
      return new Settings(
          directory,
          host,
          cqlPort,
          storagePort,
          maxHeapMb,
          startupTimeout,
          progress,
          membership,
          passwordAuthentication);
    }

    public Settings withPasswordAuthentication() {
      return new Settings(
          directory, host, cqlPort, storagePort, maxHeapMb, startupTimeout, progress, ring, true);
    }

    /** A single node's ring follows its storage port; a configured ring stays. */
    private Ring sameRingOr(int storage) {
      return ring.equals(Ring.single(host, storagePort)) ? Ring.single(host, storage) : ring;
    }
  }

  /**
   * A node's place in a ring.
   *
   * @param seeds "host:port" of the seed node(s), comma-separated, that a starting node gossips
   *     with first
   * @param initialToken this node's token (one token per node: the rings here are tiny, and even
   *     spacing gives each node an equal share)
   * @param replaces the address of a node whose data was lost and which this one replaces, taking
   *     over its place in the ring and streaming its data from the replicas before it serves
   *     (replace_address_first_boot); null for a node that joins as itself
   */
  public record Ring(String seeds, String initialToken, String replaces) {

    /** A ring of one: the node is its own seed. */
    public static Ring single(String host, int storagePort) {
      return new Ring(host + ":" + storagePort, "0", null);
    }

    /** Token {@code index} of {@code size} evenly spaced over Murmur3's range. */
    public static String evenToken(int index, int size) {
      BigInteger span = BigInteger.TWO.pow(64);
      return BigInteger.valueOf(Long.MIN_VALUE)
          .add(span.multiply(BigInteger.valueOf(index)).divide(BigInteger.valueOf(size)))
          .toString();
    }

    /** The same place in the ring, taken over from the lost node at {@code address}. */
    public Ring replacing(String address) {
      return new Ring(seeds, initialToken, address);
    }

    /** Whether this node replaces a lost one. */
    public boolean replacesANode() {
      return replaces != null;
    }
  }

  private final Settings settings;
  private final CassandraProcess process;
  private final Path logFile;
  private final Duration startupTime;

  private EmbeddedCassandra(
      Settings settings, CassandraProcess process, Path logFile, Duration startupTime) {
    this.settings = settings;
    this.process = process;
    this.logFile = logFile;
    this.startupTime = startupTime;
  }

  /** Starts Cassandra and waits until it accepts CQL connections. */
  public static EmbeddedCassandra start(Settings settings) {
    Consumer<String> progress = settings.progress();
    Path dir = settings.directory().toAbsolutePath();
    try {
      Files.createDirectories(dir.resolve("logs"));
    } catch (IOException e) {
      throw new CassandraStartException("cannot create Cassandra folder " + dir + ": " + e, e);
    }
    PidFile.stopLeftOverFromEarlierRun(dir, progress);
    PreflightChecks.requireFreePort(settings.host(), settings.cqlPort(), "CQL");
    PreflightChecks.requireFreePort(settings.host(), settings.storagePort(), "storage");
    PreflightChecks.requireMemory(settings.maxHeapMb());

    Path yaml = CassandraConfigFiles.write(dir, settings);
    Path logFile = dir.resolve("logs").resolve("cassandra.out");
    // Class-data sharing when the launcher asks for it: see ClassDataArchive.
    ClassDataArchive.Launch classData =
        ClassDataArchive.nextLaunch("cassandra", CassandraClassPath.get());
    List<String> command = CassandraCommand.of(dir, yaml, settings, classData);
    progress.accept(
        "starting Cassandra "
            + version()
            + " on "
            + settings.host()
            + ":"
            + settings.cqlPort()
            + " (data in "
            + dir
            + ", log in "
            + logFile
            + ")");
    long startedAt = System.nanoTime();
    CassandraProcess process = CassandraProcess.launch(command, dir, logFile);
    classData.started().accept(process.process());
    EmbeddedCassandra cassandra = null;
    try {
      CqlPortWait.await(process, settings, logFile, startedAt);
      Duration took = Duration.ofNanos(System.nanoTime() - startedAt);
      cassandra = new EmbeddedCassandra(settings, process, logFile, took);
      progress.accept(
          String.format(
              "Cassandra is up: CQL on %s:%d, pid %d, started in %.1f s",
              settings.host(), settings.cqlPort(), process.pid(), took.toMillis() / 1000.0));
      return cassandra;
    } finally {
      if (cassandra == null) {
        process.kill();
      }
    }
  }

  /** "host:port" for the driver's contact points. */
  public String contactPoint() {
    return settings.host() + ":" + settings.cqlPort();
  }

  public int cqlPort() {
    return settings.cqlPort();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    return process.isAlive();
  }

  /** Time from process start until the CQL port answered. */
  public Duration startupTime() {
    return startupTime;
  }

  public Path logFile() {
    return logFile;
  }

  /**
   * Stops Cassandra gracefully (SIGTERM: it flushes memtables and closes the commit log), and
   * forcibly if it has not exited within a minute. Returns once the process is gone, so that its
   * ports are free again.
   */
  public void stop() {
    if (!process.isAlive()) {
      return;
    }
    Consumer<String> progress = settings.progress();
    progress.accept("stopping Cassandra on " + settings.host() + " (pid " + process.pid() + ")");
    long t0 = System.nanoTime();
    process.stop(
        STOP_TIMEOUT,
        () -> progress.accept("Cassandra did not stop within " + STOP_TIMEOUT + "; killing it"));
    progress.accept(
        String.format("Cassandra stopped in %.1f s", (System.nanoTime() - t0) / 1_000_000_000.0));
  }

  /** Kills the process at once ({@code kill -9}): for tests of crash recovery. */
  public void kill() {
    process.kill();
    settings
        .progress()
        .accept("killed Cassandra on " + settings.host() + " (kill -9, pid " + process.pid() + ")");
  }

  public Settings settings() {
    return settings;
  }

  @Override
  public void close() {
    stop();
  }

  /** The Cassandra version this build resolved. */
  public static String version() {
    return CassandraClassPath.version();
  }
}
