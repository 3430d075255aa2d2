package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.starfish.persistence.testing.InMemoryPersistence;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.awaitility.Awaitility;

/** A one-node cluster with the in-memory journal, and the asks the sharding tests send it. */
final class ShardingTestSupport {

  private ShardingTestSupport() {}

  /** A test kit whose system is a cluster of one, Up; {@code config} comes first. */
  static ActorTestKit singleNodeCluster(String name, String config) {
    ActorTestKit testKit =
        ActorTestKit.create(
            name,
            ConfigFactory.parseString(
                    config
                        + "\npekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n")
                .withFallback(InMemoryPersistence.config()));
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(new Join(cluster.selfMember().address()));
    Awaitility.await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> cluster.selfMember().status() == MemberStatus.up());
    return testKit;
  }

  /** Sends a JSON command to an entity and waits for its result. */
  static EntityResult ask(StarfishSharding sharding, String type, String id, String json)
      throws Exception {
    JsonNode command = EntityJson.COMMANDS.readTree(json);
    return sharding
        .ask(
            type,
            id,
            replyTo -> new EntityMessage.Execute(command, replyTo),
            Duration.ofSeconds(10))
        .toCompletableFuture()
        .get(15, TimeUnit.SECONDS);
  }

  /** Entities of {@code type} running in the shard that {@code id} belongs to, on every node. */
  static int entitiesInShardOf(StarfishSharding sharding, String type, String id) throws Exception {
    String shard = sharding.shardIdOf(id);
    return sharding
        .placement(Duration.ofSeconds(3))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .get(type)
        .stream()
        .mapToInt(placement -> placement.entitiesPerShard().getOrDefault(shard, 0))
        .sum();
  }
}
