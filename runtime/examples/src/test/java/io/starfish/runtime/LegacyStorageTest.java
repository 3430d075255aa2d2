package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.starfish.runtime.examples.Account;
import io.starfish.sharding.internal.EntityState;
import io.starfish.sharding.testkit.EntityTestKit;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Journals and snapshots written before logical names, under Java class names by Pekko's
 * jackson-cbor (what {@code .starfish/} of an earlier version holds), still recover, and new writes
 * go next to them under logical names. The in-memory journal serializes what it is given, so the
 * raw objects given here are stored exactly as the earlier code stored them.
 */
class LegacyStorageTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("LegacyStorageTest", EntityTestKit.config());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void anAccountStoredUnderClassNamesStillRecoversAndGoesOnUnderLogicalNames() {
    String pid = "account|legacy-1";
    var account = EntityTestKit.of(testKit.system(), Account.TYPE, "legacy-1");
    account
        .journalControl()
        .persistForRecovery(
            pid,
            List.of(
                new Account.Deposited(50), new Account.Withdrawn(20), new Account.Deposited(1)));
    SnapshotTestKit.create(testKit.system())
        .persistForRecovery(
            pid,
            List.of(
                new Pair<SnapshotMeta, Object>(
                    SnapshotMeta.create(2), EntityState.of(new Account.State(30)))));
    account.restart();

    // the snapshot at 2 (30) and event 3 (+1)
    assertThat(account.state()).isEqualTo(new Account.State(31));
    assertThat(account.version()).isEqualTo(3);
    account.run(new Account.Deposit(9));
    account.restart();
    assertThat(account.state()).isEqualTo(new Account.State(40));
    assertThat(account.journal())
        .containsExactly(
            new Account.Deposited(50),
            new Account.Withdrawn(20),
            new Account.Deposited(1),
            new Account.Deposited(9));
  }
}
