package io.starfish.persistence.embedded;

import io.starfish.persistence.embedded.internal.CassandraMain;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;

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

  private static final String CLASS_PATH_RESOURCE =
      "/io/starfish/persistence/cassandra-server.classpath";
  private static final String VERSION_RESOURCE =
      "/io/starfish/persistence/cassandra-server.properties";
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
   * @param replacesItself the node's data was lost: it takes over its own former place in the ring
   *     and streams its data back from the replicas before it serves (replace_address_first_boot)
   */
  public record Ring(String seeds, String initialToken, boolean replacesItself) {

    /** A ring of one: the node is its own seed. */
    public static Ring single(String host, int storagePort) {
      return new Ring(host + ":" + storagePort, "0", false);
    }

    /** Token {@code index} of {@code size} evenly spaced over Murmur3's range. */
    public static String evenToken(int index, int size) {
      java.math.BigInteger span = java.math.BigInteger.TWO.pow(64);
      return java.math.BigInteger.valueOf(Long.MIN_VALUE)
          .add(
              span.multiply(java.math.BigInteger.valueOf(index))
                  .divide(java.math.BigInteger.valueOf(size)))
          .toString();
    }

    public Ring replacingItself() {
      return new Ring(seeds, initialToken, true);
    }
  }

  private final Settings settings;
  private final Process process;
  // Held open on purpose: the child exits when this pipe closes (see CassandraMain).
  private final OutputStream lifeline;
  private final Path logFile;
  private final Duration startupTime;

  private EmbeddedCassandra(
      Settings settings, Process process, Path logFile, Duration startupTime) {
    this.settings = settings;
    this.process = process;
    this.lifeline = process.getOutputStream();
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
    stopLeftOverFromEarlierRun(dir, progress);
    requireFreePort(settings.host(), settings.cqlPort(), "CQL");
    requireFreePort(settings.host(), settings.storagePort(), "storage");
    requireMemory(settings.maxHeapMb());

    Path yaml = writeConfig(dir, settings);
    Path logFile = dir.resolve("logs").resolve("cassandra.out");
    List<String> command = command(dir, yaml, settings);
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
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
      Files.writeString(dir.resolve("cassandra.pid"), Long.toString(process.pid()));
    } catch (IOException e) {
      throw new CassandraStartException("cannot start the Cassandra JVM: " + e, e);
    }
    EmbeddedCassandra cassandra = null;
    try {
      awaitCqlPort(process, settings, logFile, startedAt);
      Duration took = Duration.ofNanos(System.nanoTime() - startedAt);
      cassandra = new EmbeddedCassandra(settings, process, logFile, took);
      progress.accept(
          String.format(
              "Cassandra is up: CQL on %s:%d, pid %d, started in %.1f s",
              settings.host(), settings.cqlPort(), process.pid(), took.toMillis() / 1000.0));
      return cassandra;
    } finally {
      if (cassandra == null) {
        process.destroyForcibly();
        waitQuietly(process, Duration.ofSeconds(10));
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
    settings
        .progress()
        .accept("stopping Cassandra on " + settings.host() + " (pid " + process.pid() + ")");
    long t0 = System.nanoTime();
    process.destroy();
    if (!waitQuietly(process, STOP_TIMEOUT)) {
      settings.progress().accept("Cassandra did not stop within " + STOP_TIMEOUT + "; killing it");
      process.destroyForcibly();
      waitQuietly(process, Duration.ofSeconds(10));
    }
    try {
      lifeline.close();
    } catch (IOException ignored) {
      // The child is gone; nothing is left to signal.
    }
    settings
        .progress()
        .accept(
            String.format(
                "Cassandra stopped in %.1f s", (System.nanoTime() - t0) / 1_000_000_000.0));
  }

  /** Kills the process at once ({@code kill -9}): for tests of crash recovery. */
  public void kill() {
    process.destroyForcibly();
    waitQuietly(process, Duration.ofSeconds(10));
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

  // ---------------------------------------------------------------------------------------------

  private static void awaitCqlPort(
      Process process, Settings settings, Path logFile, long startedAt) {
    long deadline = startedAt + settings.startupTimeout().toNanos();
    long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (true) {
      if (!process.isAlive()) {
        throw new CassandraStartException(
            "Cassandra exited during start-up with code "
                + process.exitValue()
                + explainExit(logFile)
                + "\nlast lines of "
                + logFile
                + ":\n"
                + tail(logFile, 30));
      }
      if (answers(settings.host(), settings.cqlPort())) {
        return;
      }
      long now = System.nanoTime();
      if (now > deadline) {
        throw new CassandraStartException(
            "Cassandra did not open its CQL port "
                + settings.host()
                + ":"
                + settings.cqlPort()
                + " within "
                + settings.startupTimeout().toSeconds()
                + " s; it was stopped. Last lines of "
                + logFile
                + ":\n"
                + tail(logFile, 30));
      }
      if (now > nextReport) {
        settings
            .progress()
            .accept(
                String.format(
                    "waiting for CQL on %s:%d ... %d s (%s)",
                    settings.host(),
                    settings.cqlPort(),
                    TimeUnit.NANOSECONDS.toSeconds(now - startedAt),
                    lastMeaningfulLine(logFile)));
        nextReport = now + TimeUnit.SECONDS.toNanos(3);
      }
      try {
        Thread.sleep(200); // poll interval of the CQL port, not a wait for a condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CassandraStartException("interrupted while waiting for Cassandra", e);
      }
    }
  }

  private static boolean answers(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String explainExit(Path logFile) {
    String log = tail(logFile, 200);
    if (log.contains("OutOfMemoryError") || log.contains("Cannot allocate memory")) {
      return " (out of memory: give it more heap or free memory on the machine)";
    }
    if (log.contains("Address already in use")) {
      return " (a port is already in use: another Cassandra may be running)";
    }
    if (log.contains("unable to access required classes")) {
      return " (JDK module flags missing for this Java version)";
    }
    return "";
  }

  private static void requireFreePort(String host, int port, String what) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new CassandraStartException(
          String.format(
              "the Cassandra %s port %s:%d is already in use (another Cassandra or dev cluster"
                  + " running? `ss -ltnp 'sport = :%d'` shows which process holds it)",
              what, host, port, port),
          e);
    }
  }

  /** Heap plus off-heap, metaspace and thread stacks: about 1.8x the heap in practice. */
  private static void requireMemory(int maxHeapMb) {
    long neededMb = maxHeapMb * 18L / 10;
    Optional<Long> availableMb = memAvailableMb();
    if (availableMb.isPresent() && availableMb.get() < neededMb) {
      throw new CassandraStartException(
          String.format(
              "not enough memory for Cassandra: it needs about %d MiB (heap %d MiB), but the"
                  + " machine has %d MiB available; stop other processes or lower the heap",
              neededMb, maxHeapMb, availableMb.get()));
    }
  }

  private static Optional<Long> memAvailableMb() {
    try {
      return Files.readAllLines(Path.of("/proc/meminfo")).stream()
          .filter(line -> line.startsWith("MemAvailable:"))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // not Linux: skip the check rather than guess
    }
  }

  /** A Cassandra of an earlier run on the same folder whose parent was killed before it. */
  private static void stopLeftOverFromEarlierRun(Path dir, Consumer<String> progress) {
    Path pidFile = dir.resolve("cassandra.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      Optional<ProcessHandle> handle = ProcessHandle.of(pid);
      boolean ours =
          handle
              .flatMap(h -> h.info().arguments())
              .map(args -> String.join(" ", args))
              .filter(
                  line ->
                      line.contains(CassandraMain.class.getName()) && line.contains(dir.toString()))
              .isPresent();
      if (ours) {
        ProcessHandle h = handle.get();
        progress.accept("stopping a Cassandra left over from an earlier run (pid " + pid + ")");
        h.destroy();
        try {
          h.onExit().get(60, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
          h.destroyForcibly();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Files.deleteIfExists(pidFile);
    } catch (IOException | NumberFormatException e) {
      progress.accept("ignoring unreadable " + pidFile + ": " + e.getMessage());
    }
  }

  private static Path writeConfig(Path dir, Settings s) {
    String d = dir.toString();
    String yaml =
        String.join(
            "\n",
            "# Written by Starfish's EmbeddedCassandra at every start; edits are overwritten.",
            "cluster_name: starfish-embedded",
            "num_tokens: 1",
            "initial_token: " + s.ring().initialToken(),
            // The nodes of a new ring start empty: there is nothing to stream, so no bootstrap.
            // A node that replaces itself after losing its data streams it back (bootstrap).
            "auto_bootstrap: " + s.ring().replacesItself(),
            "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
            "endpoint_snitch: SimpleSnitch",
            // A write is acknowledged only once its commit-log section is synced. With
            // Cassandra's default (periodic, every 10 s) it is acknowledged at once, and a
            // kill -9 of the Cassandra process loses the acknowledged writes of the last seconds:
            // the bytes are in the page cache, but replay stops at the last sync marker. The
            // fault suite's kill -9 of Cassandra showed it (two acknowledged events lost). One
            // node has no replica to fall back on, so it must not acknowledge before the sync.
            "commitlog_sync: batch",
            "seed_provider:",
            "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
            "    parameters:",
            "      - seeds: \"" + s.ring().seeds() + "\"",
            "listen_address: " + s.host(),
            "rpc_address: " + s.host(),
            "storage_port: " + s.storagePort(),
            "native_transport_port: " + s.cqlPort(),
            "start_native_transport: true",
            "authenticator: "
                + (s.passwordAuthentication() ? "PasswordAuthenticator" : "AllowAllAuthenticator"),
            "authorizer: AllowAllAuthorizer",
            "data_file_directories:",
            "  - " + d + "/data",
            "commitlog_directory: " + d + "/commitlog",
            "saved_caches_directory: " + d + "/saved_caches",
            "hints_directory: " + d + "/hints",
            "cdc_raw_directory: " + d + "/cdc_raw",
            // Dev and test keyspaces are dropped and recreated freely; no snapshot on each drop.
            "auto_snapshot: false",
            "concurrent_compactors: 1",
            "");
    String logback =
        String.join(
            "\n",
            "<configuration>",
            "  <appender name=\"STDOUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
            "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} -"
                + " %msg%n</pattern></encoder>",
            "  </appender>",
            "  <root level=\"INFO\"><appender-ref ref=\"STDOUT\"/></root>",
            "</configuration>",
            "");
    try {
      Path yamlFile = dir.resolve("cassandra.yaml");
      Files.writeString(yamlFile, yaml);
      Files.writeString(dir.resolve("logback.xml"), logback);
      return yamlFile;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> command(Path dir, Path yaml, Settings s) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xms" + Math.min(256, s.maxHeapMb()) + "m");
    cmd.add("-Xmx" + s.maxHeapMb() + "m");
    cmd.add("-XX:+UseG1GC");
    cmd.add("-XX:+HeapDumpOnOutOfMemoryError");
    cmd.add("-XX:HeapDumpPath=" + dir.resolve("logs"));
    cmd.add("-Dcassandra.config=" + yaml.toUri());
    cmd.add("-Dcassandra.storagedir=" + dir);
    cmd.add("-Dcassandra.logdir=" + dir.resolve("logs"));
    cmd.add("-Dlogback.configurationFile=" + dir.resolve("logback.xml"));
    cmd.add("-Dcassandra-foreground=yes");
    // The rings here are one to three nodes on one host: gossip settles at once, so skip the
    // waits meant for large rings. A node replacing itself must first hear the ring's view of
    // it, which takes a few gossip rounds.
    cmd.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    cmd.add("-Dcassandra.ring_delay_ms=" + (s.ring().replacesItself() ? 5000 : 1000));
    if (s.ring().replacesItself()) {
      cmd.add("-Dcassandra.replace_address_first_boot=" + s.host());
    }
    cmd.add("-Dcassandra.superuser_setup_delay_ms=0");
    cmd.add("-Dio.netty.tryReflectionSetAccessible=true");
    cmd.add("-Djdk.attach.allowAttachSelf=true");
    // The JDK 17 module flags of Cassandra's conf/jvm17-server.options.
    for (String export :
        List.of(
            "java.base/jdk.internal.misc",
            "java.management.rmi/com.sun.jmx.remote.internal.rmi",
            "java.rmi/sun.rmi.registry",
            "java.rmi/sun.rmi.server",
            "java.sql/java.sql",
            "java.base/java.lang.ref",
            "jdk.unsupported/sun.misc",
            "jdk.compiler/com.sun.tools.javac.file",
            "jdk.attach/sun.tools.attach")) {
      cmd.add("--add-exports");
      cmd.add(export + "=ALL-UNNAMED");
    }
    for (String open :
        List.of(
            "java.base/java.lang.module",
            "java.base/jdk.internal.loader",
            "java.base/jdk.internal.ref",
            "java.base/jdk.internal.reflect",
            "java.base/jdk.internal.math",
            "java.base/jdk.internal.module",
            "java.base/jdk.internal.util.jar",
            "jdk.management/com.sun.management.internal",
            "java.base/sun.nio.ch",
            "java.base/java.io",
            "java.base/java.lang.reflect",
            "jdk.compiler/com.sun.tools.javac",
            "java.base/java.lang",
            "java.base/java.util",
            "java.base/java.nio",
            "java.base/java.util.concurrent",
            "java.base/java.util.concurrent.atomic")) {
      cmd.add("--add-opens");
      cmd.add(open + "=ALL-UNNAMED");
    }
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(CassandraMain.class.getName());
    // Its own session: a terminal's Ctrl-C reaches only the parent, which stops Cassandra last,
    // after whatever still writes to it (the dev launcher stops the nodes first).
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add(0, "/usr/bin/setsid");
    }
    return cmd;
  }

  /** Cassandra's jars (resolved by Maven into the local repository) plus this module's classes. */
  static String classPath() {
    String listed;
    try (InputStream in = EmbeddedCassandra.class.getResourceAsStream(CLASS_PATH_RESOURCE)) {
      if (in == null) {
        throw new CassandraStartException(
            "the Cassandra class path resource "
                + CLASS_PATH_RESOURCE
                + " is missing: build the project with ./mvnw first");
      }
      listed = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> entries =
        Arrays.stream(listed.split(java.io.File.pathSeparator))
            .filter(entry -> !entry.isBlank())
            .collect(Collectors.toList());
    List<String> missing =
        entries.stream()
            .filter(entry -> !Files.exists(Path.of(entry)))
            .collect(Collectors.toList());
    if (!missing.isEmpty()) {
      throw new CassandraStartException(
          missing.size()
              + " Cassandra jar(s) are missing from the local Maven repository, e.g. "
              + missing.get(0)
              + ": run ./mvnw install -DskipTests once to download them");
    }
    entries.add(ownCodeLocation());
    return String.join(java.io.File.pathSeparator, entries);
  }

  private static String ownCodeLocation() {
    try {
      return Path.of(
              CassandraMain.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Cassandra version this build resolved. */
  public static String version() {
    try (InputStream in = EmbeddedCassandra.class.getResourceAsStream(VERSION_RESOURCE)) {
      if (in == null) {
        return "(unknown version)";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "(unknown version)");
    } catch (IOException e) {
      return "(unknown version)";
    }
  }

  private static boolean waitQuietly(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static String lastMeaningfulLine(Path file) {
    String last = tail(file, 1);
    int dash = last.indexOf(" - ");
    String message = dash >= 0 ? last.substring(dash + 3) : last;
    return message.length() > 100 ? message.substring(0, 100) + "..." : message;
  }
}
