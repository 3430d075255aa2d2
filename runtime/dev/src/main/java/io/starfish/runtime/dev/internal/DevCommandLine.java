package io.starfish.runtime.dev.internal;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The options of {@code ./starfish dev}, parsed by picocli. Exit codes: 0 after --help, 2 for a
 * usage error (unknown option, missing or bad value, a count out of range).
 */
public final class DevCommandLine {

  /** What main does next: run with the options, or exit with the code. */
  public record Outcome(Optional<DevOptions> options, int exitCode) {

    static Outcome run(DevOptions options) {
      return new Outcome(Optional.of(options), 0);
    }

    static Outcome exit(int code) {
      return new Outcome(Optional.empty(), code);
    }
  }

  @Command(
      name = "./starfish dev",
      usageHelpWidth = 100,
      customSynopsis = {
        "./starfish dev [--nodes N] [--cassandra-nodes C] [--node-heap-mb MB]"
            + " [--no-self-heal] [--no-build]",
        "       ./starfish dev --join [--cassandra-nodes C] [--node-heap-mb MB] [--no-build]"
      },
      description = {
        "Starts an embedded Cassandra and N Starfish nodes on 127.0.0.1. Node i serves HTTP on"
            + " 8079+i and cluster remoting on 25519+i (bootstrap: 8557+i); a node process that"
            + " dies is restarted (unless --no-self-heal); Ctrl-C stops all.",
        ""
      })
  static final class Options {

    @Option(
        names = "--nodes",
        paramLabel = "N",
        defaultValue = "" + DevOptions.DEFAULT_NODES,
        description = "Starfish nodes to start, 1 to " + NodePorts.MAX_NODES + " (default 3)")
    int nodes;

    @Option(
        names = "--cassandra-nodes",
        paramLabel = "C",
        defaultValue = "" + DevOptions.DEFAULT_CASSANDRA_NODES,
        description = {
          "Cassandra nodes, 1 to " + DevOptions.MAX_CASSANDRA_NODES + " (default 1): a ring on",
          "127.0.0.1..C, CQL 9042 on each, keyspaces replicated min(C, 3) times,",
          "data in .starfish/cassandra-C-nodes/"
        })
    int cassandraNodes;

    @Option(
        names = "--node-heap-mb",
        paramLabel = "MB",
        defaultValue = "" + DevOptions.DEFAULT_NODE_HEAP_MB,
        description = "heap of each node JVM in MiB (default 384)")
    int nodeHeapMb;

    @Option(
        names = "--join",
        description = "start one more node that joins the cluster of a running ./starfish dev")
    boolean join;

    @Option(names = "--no-self-heal", description = "do not restart nodes that die")
    boolean noSelfHeal;

    // Read by the ./starfish script (skip the Maven build); accepted here so it may be passed on.
    @Option(names = "--no-build", description = "do not build first (read by ./starfish)")
    boolean noBuild;

    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "show this help")
    boolean help;
  }

  private DevCommandLine() {}

  /** Parses {@code args}; prints help to {@code out} and errors to {@code err}. */
  public static Outcome parse(String[] args, PrintStream out, PrintStream err) {
    // picocli reads "--" as the end of the options; to the launcher it was never an option.
    if (Arrays.asList(args).contains("--")) {
      err.println("unknown option --");
      usage(new CommandLine(new Options()), out);
      return Outcome.exit(2);
    }
    Options options = new Options();
    CommandLine commandLine =
        new CommandLine(options)
            // As before picocli: a repeated option's last value wins, and "@file" is no
            // argument file.
            .setOverwrittenOptionsAllowed(true)
            .setExpandAtFiles(false);
    try {
      commandLine.parseArgs(args);
    } catch (UnmatchedArgumentException e) {
      err.println("unknown option " + e.getUnmatched().get(0));
      usage(commandLine, out);
      return Outcome.exit(2);
    } catch (MissingParameterException e) {
      err.println(optionName(e).map(name -> name + " needs a value").orElse(e.getMessage()));
      return Outcome.exit(2);
    } catch (ParameterException e) {
      err.println(e.getMessage());
      return Outcome.exit(2);
    }
    if (commandLine.isUsageHelpRequested()) {
      usage(commandLine, out);
      return Outcome.exit(0);
    }
    if (options.nodes < 1 || options.nodes > NodePorts.MAX_NODES) {
      err.println("--nodes must be between 1 and " + NodePorts.MAX_NODES);
      return Outcome.exit(2);
    }
    if (options.cassandraNodes < 1 || options.cassandraNodes > DevOptions.MAX_CASSANDRA_NODES) {
      err.println("--cassandra-nodes must be between 1 and " + DevOptions.MAX_CASSANDRA_NODES);
      return Outcome.exit(2);
    }
    return Outcome.run(
        new DevOptions(
            options.nodes,
            options.nodeHeapMb,
            options.cassandraNodes,
            options.join,
            !options.noSelfHeal));
  }

  private static void usage(CommandLine commandLine, PrintStream out) {
    PrintWriter writer = new PrintWriter(out, true);
    commandLine.usage(writer);
    writer.flush();
  }

  private static Optional<String> optionName(MissingParameterException e) {
    return e.getMissing().stream()
        .filter(ArgSpec::isOption)
        .map(spec -> ((OptionSpec) spec).longestName())
        .findFirst();
  }
}
