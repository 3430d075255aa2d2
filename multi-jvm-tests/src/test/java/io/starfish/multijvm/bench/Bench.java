package io.starfish.multijvm.bench;

import java.util.Arrays;

/**
 * Entry point of the benchmarks: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests
 * verify -Dbench.args="<benchmark> [options]"}, where benchmark is {@code throughput} ({@link
 * ThroughputBenchmark}: Starfish, the plain Pekko baseline and raw Cassandra writes), {@code
 * recovery} ({@link RecoveryBenchmark}), {@code memory} ({@link MemoryBenchmark}), {@code failover}
 * ({@link FailoverBenchmark}), {@code soak} ({@link SoakBenchmark}) or {@code all} (the first four,
 * with their default options). Results go to target/bench/ (docs/benchmarks.md explains them).
 */
public final class Bench {

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : new String[0];
    switch (args.length > 0 ? args[0] : "") {
      case "failover" -> FailoverBenchmark.main(rest);
      case "soak" -> SoakBenchmark.main(rest);
      case "throughput" -> ThroughputBenchmark.main(rest);
      case "recovery" -> RecoveryBenchmark.main(rest);
      case "memory" -> MemoryBenchmark.main(rest);
      case "timers" -> TimerBenchmark.main(rest);
      case "activation" -> ActivationBenchmark.main(rest);
      case "all" -> {
        ThroughputBenchmark.main(new String[0]);
        RecoveryBenchmark.main(new String[0]);
        MemoryBenchmark.main(new String[0]);
        FailoverBenchmark.main(new String[0]);
        TimerBenchmark.main(new String[0]);
      }
      default -> {
        System.err.println(
            "usage: Bench throughput|recovery|memory|failover|timers|activation|soak|all [options]");
        System.exit(2);
      }
    }
    // Cassandra is stopped by then; the HTTP client's threads would keep the JVM alive.
    System.exit(0);
  }
}
