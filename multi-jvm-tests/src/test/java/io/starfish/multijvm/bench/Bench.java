package io.starfish.multijvm.bench;

import java.util.Arrays;

/**
 * Entry point of the benchmarks: {@code ./mvnw -B -pl multi-jvm-tests -am -Pbench -DskipTests
 * verify -Dbench.args="<benchmark> [options]"}, where benchmark is {@code failover} ({@link
 * FailoverBenchmark}) or {@code soak} ({@link SoakBenchmark}). Results go to target/bench/.
 */
public final class Bench {

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : new String[0];
    switch (args.length > 0 ? args[0] : "") {
      case "failover" -> FailoverBenchmark.main(rest);
      case "soak" -> SoakBenchmark.main(rest);
      default -> {
        System.err.println("usage: Bench failover|soak [options]");
        System.exit(2);
      }
    }
    // Cassandra is stopped by then; the HTTP client's threads would keep the JVM alive.
    System.exit(0);
  }
}
