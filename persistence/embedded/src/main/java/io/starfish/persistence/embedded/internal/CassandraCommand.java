package io.starfish.persistence.embedded.internal;

import io.starfish.persistence.embedded.ClassDataArchive;
import io.starfish.persistence.embedded.EmbeddedCassandra;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a Cassandra child JVM: heap, system properties, JDK 17 module flags. */
public final class CassandraCommand {

  /** The JDK 17 --add-exports of Cassandra's conf/jvm17-server.options. */
  private static final List<String> EXPORTS =
      List.of(
          "java.base/jdk.internal.misc",
          "java.management.rmi/com.sun.jmx.remote.internal.rmi",
          "java.rmi/sun.rmi.registry",
          "java.rmi/sun.rmi.server",
          "java.sql/java.sql",
          "java.base/java.lang.ref",
          "jdk.unsupported/sun.misc",
          "jdk.compiler/com.sun.tools.javac.file",
          "jdk.attach/sun.tools.attach");

  /** The JDK 17 --add-opens of the same file. */
  private static final List<String> OPENS =
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
          "java.base/java.util.concurrent.atomic");

  private CassandraCommand() {}

  /** The command that runs the node of {@code s} with its data in {@code dir}. */
  public static List<String> of(
      Path dir, Path yaml, EmbeddedCassandra.Settings s, ClassDataArchive.Launch classData) {
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
    cmd.add("-Dlogback.configurationFile=" + CassandraConfigFiles.logbackFile(dir));
    cmd.add("-Dcassandra-foreground=yes");
    // The rings here are one to three nodes on one host: gossip settles at once, so skip the
    // waits meant for large rings. A node replacing a lost one must first hear the ring's view of
    // it (a gossip shadow round with a seed, bounded by the ring delay): with 5 s, a replacement
    // started on a 2-core box busy with two more Cassandra nodes and three Starfish nodes failed
    // with "Unable to contact any seeds" (CI, 2026-12-01); 15 s leaves room for that.
    cmd.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    cmd.add("-Dcassandra.ring_delay_ms=" + (s.ring().replacesANode() ? 15000 : 1000));
    if (s.ring().replacesANode()) {
      cmd.add("-Dcassandra.replace_address_first_boot=" + s.ring().replaces());
      // A replacement on another address first waits one load-broadcast interval (60 s) for any
      // gossip of the node it replaces; that node was seen down before this one started.
      cmd.add("-Dcassandra.broadcast_interval_ms=5000");
    }
    cmd.add("-Dcassandra.superuser_setup_delay_ms=0");
    cmd.add("-Dio.netty.tryReflectionSetAccessible=true");
    cmd.add("-Djdk.attach.allowAttachSelf=true");
    for (String export : EXPORTS) {
      cmd.add("--add-exports");
      cmd.add(export + "=ALL-UNNAMED");
    }
    for (String open : OPENS) {
      cmd.add("--add-opens");
      cmd.add(open + "=ALL-UNNAMED");
    }
    cmd.addAll(classData.jvmOptions());
    cmd.add("-cp");
    cmd.add(classData.classPath());
    cmd.add(CassandraMain.class.getName());
    // Its own session: a terminal's Ctrl-C reaches only the parent, which stops Cassandra last,
    // after whatever still writes to it (the dev launcher stops the nodes first).
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      cmd.add(0, "/usr/bin/setsid");
    }
    return cmd;
  }
}
