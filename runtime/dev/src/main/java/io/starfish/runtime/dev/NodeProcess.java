package io.starfish.runtime.dev;

import io.starfish.persistence.embedded.ClassDataArchive;
import io.starfish.runtime.examples.ExampleNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Starfish node in its own JVM, started with the launcher's class path. Its standard input is a
 * pipe held by this process, so the node shuts itself down if the launcher dies.
 */
public final class NodeProcess {

  private final int index;
  private final int remotePort;
  private final int httpPort;
  private final Process process;
  private final Path logFile;

  // Held open on purpose: the node exits when this pipe closes.
  @SuppressWarnings("unused")
  private final OutputStream lifeline;

  private final long startedNanos = System.nanoTime();

  private NodeProcess(int index, int remotePort, int httpPort, Process process, Path logFile) {
    this.index = index;
    this.remotePort = remotePort;
    this.httpPort = httpPort;
    this.process = process;
    this.logFile = logFile;
    this.lifeline = process.getOutputStream();
  }

  /**
   * The environment that makes a node join by Cluster Bootstrap (starfish.node.join = bootstrap):
   * its management port, and the management endpoints (host:port, comma-separated) of the nodes
   * that may form the cluster.
   */
  public static Map<String, String> bootstrapEnvironment(int managementPort, String contactPoints) {
    return Map.of(
        "STARFISH_JOIN",
        "bootstrap",
        "STARFISH_MANAGEMENT_PORT",
        Integer.toString(managementPort),
        "STARFISH_CONTACT_POINTS",
        contactPoints);
  }

  /** Starts node {@code index} with the given ports, seed nodes and Cassandra contact point. */
  public static NodeProcess start(
      int index,
      int remotePort,
      int httpPort,
      String seedNodes,
      String cassandraContactPoints,
      int heapMb,
      Path logFile) {
    return start(
        index, remotePort, httpPort, seedNodes, cassandraContactPoints, heapMb, logFile, Map.of());
  }

  /**
   * Starts node {@code index}; {@code extraEnvironment} adds to (or overrides) the node's
   * environment, e.g. STARFISH_ADMIN_TOKEN, or JAVA_TOOL_OPTIONS for extra -D settings.
   */
  public static NodeProcess start(
      int index,
      int remotePort,
      int httpPort,
      String seedNodes,
      String cassandraContactPoints,
      int heapMb,
      Path logFile,
      Map<String, String> extraEnvironment) {
    return start(
        index,
        remotePort,
        httpPort,
        seedNodes,
        cassandraContactPoints,
        heapMb,
        logFile,
        extraEnvironment,
        List.of());
  }

  /**
   * As above; {@code launchPrefix} is put before the command (e.g. a shell that first moves itself
   * into a cgroup, so that a test's packet filter can tell this node's traffic from others').
   */
  public static NodeProcess start(
      int index,
      int remotePort,
      int httpPort,
      String seedNodes,
      String cassandraContactPoints,
      int heapMb,
      Path logFile,
      Map<String, String> extraEnvironment,
      List<String> launchPrefix) {
    return start(
        index,
        remotePort,
        httpPort,
        seedNodes,
        cassandraContactPoints,
        heapMb,
        logFile,
        extraEnvironment,
        launchPrefix,
        ExampleNode.class.getName());
  }

  /**
   * As above, running {@code mainClass} (an application's main that calls {@code StarfishNode.run})
   * instead of the example node: e.g. the next release of an application in a rolling upgrade.
   */
  public static NodeProcess start(
      int index,
      int remotePort,
      int httpPort,
      String seedNodes,
      String cassandraContactPoints,
      int heapMb,
      Path logFile,
      Map<String, String> extraEnvironment,
      List<String> launchPrefix,
      String mainClass) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xms" + Math.min(128, heapMb) + "m");
    command.add("-Xmx" + heapMb + "m");
    command.add("-XX:+UseG1GC");
    command.add("-Dstarfish.node.exit-when-stdin-closes=true");
    // Class-data sharing when the launcher asks for it: see ClassDataArchive.
    ClassDataArchive.Launch classData =
        ClassDataArchive.nextLaunch("starfish-node", System.getProperty("java.class.path"));
    command.addAll(classData.jvmOptions());
    command.add("-cp");
    command.add(classData.classPath());
    command.add(mainClass);
    // setsid puts the node in its own session: Ctrl-C reaches only the launcher, which then
    // stops the nodes before Cassandra, in that order.
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add(0, "/usr/bin/setsid");
    }
    command.addAll(0, launchPrefix);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    Map<String, String> env = builder.environment();
    env.put("STARFISH_REMOTE_PORT", Integer.toString(remotePort));
    env.put("STARFISH_HTTP_PORT", Integer.toString(httpPort));
    env.put("STARFISH_SEED_NODES", seedNodes);
    env.put("STARFISH_CASSANDRA_CONTACT_POINTS", cassandraContactPoints);
    env.putAll(extraEnvironment);
    try {
      Files.createDirectories(logFile.getParent());
      Process process = builder.start();
      classData.started().accept(process);
      return new NodeProcess(index, remotePort, httpPort, process, logFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + index, e);
    }
  }

  public int index() {
    return index;
  }

  public int remotePort() {
    return remotePort;
  }

  public int httpPort() {
    return httpPort;
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return logFile;
  }

  /** How long ago this process was started. */
  public Duration uptime() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public int exitCode() {
    return process.exitValue();
  }

  /** SIGTERM: the node leaves the cluster through CoordinatedShutdown and exits. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL, as a crash. */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  public boolean awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
