package io.starfish.runtime.dev.internal;

import io.starfish.runtime.dev.NodeProcess;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts dev node {@code index} on its ports. First start, replacement or extra node alike: Cluster
 * Bootstrap joins the cluster that a contact point reports, or forms one when none is running.
 *
 * @param logDirectory where node-i.log goes
 * @param heapMb -Xmx of each node
 * @param cassandraContactPoints STARFISH_CASSANDRA_CONTACT_POINTS
 * @param bootstrapContactPoints the management endpoints that may form the cluster
 * @param adminToken STARFISH_ADMIN_TOKEN
 * @param cassandraNodes the size of the Cassandra ring
 */
public record NodeStarter(
    Path logDirectory,
    int heapMb,
    String cassandraContactPoints,
    String bootstrapContactPoints,
    String adminToken,
    int cassandraNodes) {

  public NodeProcess start(int index) {
    NodePorts ports = NodePorts.of(index);
    Map<String, String> env =
        new HashMap<>(NodeProcess.bootstrapEnvironment(ports.management(), bootstrapContactPoints));
    env.put("STARFISH_ADMIN_TOKEN", adminToken);
    // The dev cluster shows the example views and type streams: tag their types' events (off by
    // default in the example application; STARFISH_EVENTS_BY_TAG=off in the shell turns it off).
    env.put("STARFISH_EVENTS_BY_TAG", System.getenv().getOrDefault("STARFISH_EVENTS_BY_TAG", "on"));
    // Every event on min(C, 3) Cassandra nodes: a ring of three or more survives losing one.
    env.put("STARFISH_CASSANDRA_REPLICATION_FACTOR", Integer.toString(Math.min(cassandraNodes, 3)));
    NodeProcess node =
        NodeProcess.start(
            index,
            ports.remote(),
            ports.http(),
            "",
            cassandraContactPoints,
            heapMb,
            logDirectory.resolve("node-" + index + ".log"),
            env);
    DevConsole.say("node " + index + " starting: pid " + node.pid() + ", log " + node.logFile());
    return node;
  }
}
