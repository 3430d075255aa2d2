package io.starfish.runtime.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The common pool's parallelism decides whether async CompletableFuture stages start a thread each.
 * Each case runs in a JVM of its own (the pool is fixed at its first use), limited to the given
 * number of CPUs, and counts the distinct threads that 200 async stages ran on.
 */
class CommonPoolTest {

  /** The forked JVM's main: optionally ensureParallelism, then run stages, print the outcome. */
  public static void main(String[] args) {
    if (args[0].equals("ensure")) {
      CommonPool.ensureParallelism();
    }
    Set<String> threads = ConcurrentHashMap.newKeySet();
    CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
    for (int i = 0; i < 200; i++) {
      chain = chain.thenRunAsync(() -> threads.add(Thread.currentThread().getName()));
    }
    chain.join();
    System.out.println("threads=" + threads.size());
    System.out.println("problem=" + CommonPool.problem().isPresent());
  }

  @Test
  void onTwoCpusAsyncStagesStartAThreadEachUnlessTheNodeRaisesTheParallelism() throws Exception {
    List<String> plain = fork(2, "plain");
    assertThat(plain).contains("problem=true");
    assertThat(threads(plain)).isGreaterThan(100); // a thread per stage

    List<String> ensured = fork(2, "ensure");
    assertThat(ensured).contains("problem=false");
    assertThat(threads(ensured)).isLessThanOrEqualTo(2); // the two pool threads
  }

  @Test
  void aParallelismTheUserChoseIsKept() throws Exception {
    List<String> chosen =
        fork(2, "ensure", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=1");
    assertThat(chosen).contains("problem=true");
  }

  @Test
  void onFourCpusNothingIsChanged() throws Exception {
    assertThat(fork(4, "plain")).contains("problem=false");
  }

  private static int threads(List<String> output) {
    return output.stream()
        .filter(line -> line.startsWith("threads="))
        .mapToInt(line -> Integer.parseInt(line.substring("threads=".length())))
        .findFirst()
        .orElseThrow();
  }

  private static List<String> fork(int cpus, String mode, String... jvmOptions)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:ActiveProcessorCount=" + cpus);
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(CommonPoolTest.class.getName());
    command.add(mode);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as(output).isZero();
      return output.lines().toList();
    } finally {
      process.destroyForcibly();
    }
  }
}
