package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The node's Cassandra keys become the driver's contact points and NTS replication. */
class CassandraConfigTest {

  private static Config node(String overrides) {
    return CassandraConfig.apply(
        ConfigFactory.parseString(overrides)
            .withFallback(ConfigFactory.parseResources("cassandra.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve());
  }

  @Test
  void theDefaultIsOneLocalNodeWithOneReplica() {
    Config config = node("");
    assertThat(config.getStringList("datastax-java-driver.basic.contact-points"))
        .containsExactly("127.0.0.1:9042");
    assertThat(config.getString("pekko.persistence.cassandra.journal.replication-strategy"))
        .isEqualTo("NetworkTopologyStrategy");
    assertThat(
            config.getStringList(
                "pekko.persistence.cassandra.journal.data-center-replication-factors"))
        .containsExactly("datacenter1:1");
  }

  @Test
  void aRingOfThreeWithReplicationFactorThree() {
    Config config =
        node(
            "starfish.cassandra.contact-points = \"127.0.0.1:9042, 127.0.0.2:9042,127.0.0.3:9042\"\n"
                + "starfish.cassandra.replication-factor = 3\n"
                + "starfish.cassandra.local-datacenter = dc-east");
    assertThat(config.getStringList("datastax-java-driver.basic.contact-points"))
        .containsExactly("127.0.0.1:9042", "127.0.0.2:9042", "127.0.0.3:9042");
    assertThat(
            config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"))
        .isEqualTo("dc-east");
    for (String store : new String[] {"journal", "snapshot"}) {
      String path = "pekko.persistence.cassandra." + store;
      assertThat(config.getString(path + ".replication-strategy"))
          .isEqualTo("NetworkTopologyStrategy");
      assertThat(config.getStringList(path + ".data-center-replication-factors"))
          .containsExactly("dc-east:3");
    }
  }

  @Test
  void malformedValuesAreRefusedWithTheKeyNamed() {
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \"127.0.0.1\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("starfish.cassandra.contact-points")
        .hasMessageContaining("not host:port");
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \"a:9042,b:99999\""))
        .hasMessageContaining("\"b:99999\" is not host:port");
    assertThatThrownBy(() -> node("starfish.cassandra.contact-points = \" , \""))
        .hasMessageContaining("contact-points is empty");
    assertThatThrownBy(() -> node("starfish.cassandra.replication-factor = 0"))
        .hasMessageContaining("replication-factor must be at least 1");
  }
}
