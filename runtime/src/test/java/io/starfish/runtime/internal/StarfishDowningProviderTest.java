package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.sbr.DownAllNodes;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.KeepMajority;
import org.apache.pekko.cluster.sbr.KeepOldest;
import org.apache.pekko.cluster.sbr.StaticQuorum;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import scala.concurrent.duration.FiniteDuration;

/**
 * Starfish's downing provider builds the strategy Pekko's provider would build from the same
 * settings, keeps Pekko's removal margin, and only accepts a tick between 0 and Pekko's 1 s.
 */
class StarfishDowningProviderTest {

  private static Config config(String strategy) {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.downing-provider-class = "%s"
            pekko.cluster.split-brain-resolver.active-strategy = %s
            pekko.cluster.split-brain-resolver.stable-after = 1 s
            pekko.cluster.split-brain-resolver.static-quorum.quorum-size = 2
            pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone = off
            pekko.cluster.down-removal-margin = 300 ms
            """
                .formatted(StarfishDowningProvider.class.getName(), strategy))
        .withFallback(ConfigFactory.load());
  }

  @ParameterizedTest
  @CsvSource({
    "keep-majority, org.apache.pekko.cluster.sbr.KeepMajority",
    "static-quorum, org.apache.pekko.cluster.sbr.StaticQuorum",
    "keep-oldest, org.apache.pekko.cluster.sbr.KeepOldest",
    "down-all, org.apache.pekko.cluster.sbr.DownAllNodes"
  })
  void buildsPekkosStrategyFromPekkosSettings(String name, String expectedClass) {
    ActorSystem system = ActorSystem.create("downing", config(name));
    try {
      StarfishDowningProvider provider = new StarfishDowningProvider(system);
      DowningStrategy strategy = provider.strategy();
      assertThat(strategy.getClass().getName()).isEqualTo(expectedClass);
      if (strategy instanceof StaticQuorum quorum) {
        assertThat(quorum.quorumSize()).isEqualTo(2);
      } else if (strategy instanceof KeepOldest oldest) {
        assertThat(oldest.downIfAlone()).isFalse();
      } else {
        assertThat(strategy).isInstanceOfAny(KeepMajority.class, DownAllNodes.class);
      }
      assertThat(provider.downRemovalMargin().toMillis()).isEqualTo(300);
      assertThat(provider.downingActorProps().isDefined()).isTrue();
    } finally {
      TestKit.shutdownActorSystem(system);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"0 ms", "-1 s", "2 s"})
  void rejectsATickOutsideZeroToOneSecond(String tick) {
    Config config =
        ConfigFactory.parseString("starfish.cluster.sbr-tick-interval = " + tick)
            .withFallback(ConfigFactory.load());
    assertThatThrownBy(() -> StarfishDowningProvider.tickInterval(config))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("starfish.cluster.sbr-tick-interval");
  }

  @org.junit.jupiter.api.Test
  void defaultTickIsOneTenthOfPekkos() {
    assertThat(StarfishDowningProvider.tickInterval(ConfigFactory.load()))
        .isEqualTo(FiniteDuration.create(100, java.util.concurrent.TimeUnit.MILLISECONDS));
  }
}
