package io.starfish.multijvm;

import io.starfish.persistence.testing.TestTools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Real network partitions on loopback: nftables rules that drop the TCP packets a node process
 * sends to chosen ports (its peers' remoting ports, Cassandra's). Every node of a test cluster
 * shares 127.0.0.1, and Artery's outbound connections do not bind their node's address, so the
 * rules tell one node's packets from another's by the <em>cgroup</em> of the sending socket: each
 * node starts inside a cgroup v2 group of its own ({@link #launchPrefix}), and a rule {@code socket
 * cgroupv2 level L "group" tcp dport P drop} drops what that node sends to port P. Dropped, not
 * rejected: the connections stay open and silent, as in a real partition (no RST, no error).
 *
 * <p>One nftables table of its own ({@code inet starfish_test_<pid>}), created here and deleted by
 * {@link #close()} (and by a shutdown hook, should the test JVM end first), with all its rules; the
 * cgroups are removed once their processes have exited. Needs root, {@code nft} (installed by
 * {@code .ci/install-test-tools.sh}) and a cgroup v2 mount under /sys/fs/cgroup (unified or
 * hybrid). {@link #create} checks that a rule really drops a probe's packets before any test relies
 * on it.
 */
final class PacketFilter implements AutoCloseable {

  private static final Path CGROUP_FS = Path.of("/sys/fs/cgroup");

  /** Debian puts nft in /usr/sbin, which a non-login PATH may lack. */
  private static final String NFT =
      Files.isExecutable(Path.of("/usr/sbin/nft")) ? "/usr/sbin/nft" : "nft";

  private final String table;
  private final Path cgroupRoot;
  private final String cgroupPrefix;
  private final List<Path> cgroups = new ArrayList<>();
  private final Thread cleanup;
  private int level = 1;

  private PacketFilter(String table, Path cgroupRoot, String cgroupPrefix) {
    this.table = table;
    this.cgroupRoot = cgroupRoot;
    this.cgroupPrefix = cgroupPrefix;
    this.cleanup = new Thread(this::deleteTable, "packet-filter-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /**
   * Why real partitions cannot be made on this machine, if they cannot: not root, no nft, no
   * writable cgroup v2 mount. The suite is skipped then, with this reason. (Once these are there, a
   * rule that does not drop the probe's packets fails the suite instead: that would be a bug.)
   */
  static Optional<String> unavailable() {
    String user = System.getProperty("user.name");
    if (!"root".equals(user)) {
      return Optional.of(
          "real packet-level partitions need root (nftables, cgroups); user is " + user);
    }
    TestTools.ensureInstalled();
    try {
      run(List.of(NFT, "list tables"));
    } catch (RuntimeException e) {
      return Optional.of("nftables is not usable here: " + e.getMessage());
    }
    try {
      Path probe = cgroup2Mount().resolve("starfish-test-probe-" + ProcessHandle.current().pid());
      Files.createDirectories(probe);
      Files.delete(probe);
    } catch (IOException | RuntimeException e) {
      return Optional.of("cannot create a cgroup v2 group here: " + e);
    }
    return Optional.empty();
  }

  /** Creates the table and checks, with a probe process in a test cgroup, that rules apply. */
  static PacketFilter create() {
    Path mount = cgroup2Mount();
    String prefix = CGROUP_FS.equals(mount) ? "" : CGROUP_FS.relativize(mount) + "/";
    String table = "starfish_test_" + ProcessHandle.current().pid();
    deleteTableNamed(table); // left over by an earlier JVM with the same pid
    nft("add table inet " + table);
    nft("add chain inet " + table + " out { type filter hook output priority 0; policy accept; }");
    PacketFilter filter = new PacketFilter(table, mount, prefix);
    try {
      // Our groups are one level below the mount's root in the kernel's hierarchy, unless the
      // mount is itself a nested (namespaced) root: the probe finds the level that works.
      for (int level = 1; level <= 4; level++) {
        filter.level = level;
        if (filter.probeIsDropped()) {
          return filter;
        }
      }
    } catch (RuntimeException e) {
      filter.close();
      throw e;
    }
    filter.close();
    throw new IllegalStateException(
        "nftables 'socket cgroupv2' rules do not drop a probe's packets on this machine (cgroup v2"
            + " at "
            + mount
            + "): real partitions cannot be made here");
  }

  /** A cgroup for one node, and the launch prefix that starts the node inside it. */
  List<String> launchPrefix(String group) {
    Path dir = cgroupRoot.resolve(groupName(group));
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create cgroup " + dir, e);
    }
    if (!cgroups.contains(dir)) {
      cgroups.add(dir);
    }
    return List.of(
        "/bin/sh", "-c", "echo $$ > '" + dir.resolve("cgroup.procs") + "' && exec \"$@\"", "sh");
  }

  /** Drops every TCP packet that processes in {@code group} send to {@code port}. */
  void drop(String group, int port) {
    nft(
        "add rule inet "
            + table
            + " out socket cgroupv2 level "
            + level
            + " \""
            + cgroupPrefix
            + groupName(group)
            + "\" tcp dport "
            + port
            + " drop");
  }

  private String groupName(String group) {
    return table + "-" + group;
  }

  /** Removes every rule: all cuts heal at once. */
  void healAll() {
    nft("flush chain inet " + table + " out");
  }

  /** The table and its rules; the cgroups of processes that have exited. */
  @Override
  public void close() {
    deleteTable();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook runs anyway
    }
    for (Path dir : cgroups) {
      try {
        Files.deleteIfExists(dir); // rmdir: only once no process is left in it
      } catch (IOException e) {
        System.err.println("[packet-filter] could not remove cgroup " + dir + ": " + e);
      }
    }
  }

  private void deleteTable() {
    deleteTableNamed(table);
  }

  private static void deleteTableNamed(String table) {
    try {
      run(List.of(NFT, "delete table inet " + table));
    } catch (RuntimeException e) {
      // already gone
    }
  }

  /** A shell in a probe cgroup connects to a local listener whose port the rule drops. */
  private boolean probeIsDropped() {
    try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      int port = listener.getLocalPort();
      List<String> command = new ArrayList<>(launchPrefix("starfish-probe"));
      command.addAll(
          List.of(
              "timeout", "3", "bash", "-c", "echo > /dev/tcp/127.0.0.1/" + port + " 2>/dev/null"));
      if (exitCode(command) != 0) {
        throw new IllegalStateException("the packet-filter probe cannot connect without a rule");
      }
      drop("starfish-probe", port);
      boolean dropped = exitCode(command) != 0;
      healAll();
      return dropped;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path cgroup2Mount() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/mounts"), StandardCharsets.UTF_8)) {
        String[] fields = line.split(" ");
        if (fields.length > 2 && fields[2].equals("cgroup2")) {
          Path mount = Path.of(fields[1]);
          if (mount.startsWith(CGROUP_FS)) {
            return mount;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no cgroup v2 mount under " + CGROUP_FS);
  }

  private static void nft(String command) {
    run(List.of(NFT, command));
  }

  private static void run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output.strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int exitCode(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return -1;
      }
      return process.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
