package io.starfish.multijvm;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.multijvm.ForkedCluster.Node;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for the fault suite: client threads send deposits and withdrawals, each with its own
 * idempotency key, to the accounts through the HTTP API of every live node, and record every
 * operation with its outcome.
 *
 * <p>The clients behave as clients behind a load balancer do: a health checker polls each node's
 * {@code /health/ready} and the clients pick among the ready nodes; when an attempt gets no answer
 * (connection refused, timeout) or a 503, the client sends the same command with the same key to
 * another ready node, until the operation's deadline. The key makes the retries safe: the command
 * is applied at most once. An operation is <em>acknowledged</em> (200), <em>rejected</em> (409:
 * refused by the entity, nothing applied), <em>indeterminate</em> (no answer before its deadline:
 * it may or may not have been applied) or <em>unexpected</em> (any other status: a bug).
 */
public final class AccountWorkload implements AutoCloseable {

  public enum Outcome {
    ACKNOWLEDGED,
    REJECTED,
    INDETERMINATE,
    UNEXPECTED
  }

  /** One client operation and what became of it. */
  public static final class Operation {
    public final String key;
    public final String account;
    public final boolean deposit;
    public final long amount;
    volatile Outcome outcome;
    volatile long version;
    volatile long balanceAfter;
    volatile String detail = "";
    volatile int failedAttempts;
    final long createdNanos = System.nanoTime();

    /** Set when an indeterminate operation was later settled by a retry with its key. */
    volatile boolean resolvedLater;

    Operation(String key, String account, boolean deposit, long amount) {
      this.key = key;
      this.account = account;
      this.deposit = deposit;
      this.amount = amount;
    }

    public Outcome outcome() {
      return outcome;
    }

    public long version() {
      return version;
    }

    public long balanceAfter() {
      return balanceAfter;
    }

    /** The last problem or the refusal, when it was not acknowledged. */
    public String detail() {
      return detail;
    }

    /** The change to the balance if the operation was applied. */
    public long delta() {
      return deposit ? amount : -amount;
    }

    String body() {
      return "{\"type\":\"" + (deposit ? "deposit" : "withdraw") + "\",\"amount\":" + amount + "}";
    }

    @Override
    public String toString() {
      return key
          + " "
          + (deposit ? "+" : "-")
          + amount
          + " on "
          + account
          + ": "
          + outcome
          + (outcome == Outcome.ACKNOWLEDGED ? " v" + version + " balance " + balanceAfter : "")
          + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
  }

  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(8);
  private static final Duration HEALTH_INTERVAL = Duration.ofMillis(200);

  private final ForkedCluster cluster;
  private final List<String> accounts;
  private final String keyPrefix;
  private final Duration operationDeadline;
  private final List<Operation> history = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<Node> ready = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicLong failedAttempts = new AtomicLong();
  private final Queue<FailedAttempt> failures = new ConcurrentLinkedQueue<>();

  /** One failed client attempt: when it ended, through which node, and what went wrong. */
  public record FailedAttempt(long nanos, int node, String problem) {}

  private final java.util.concurrent.ConcurrentMap<String, AtomicLong> failureKinds =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();

  /**
   * @param accounts the account ids the clients write to
   * @param clients number of concurrent client threads
   * @param operationDeadline how long a client keeps retrying one operation before it gives up
   */
  public AccountWorkload(
      ForkedCluster cluster, List<String> accounts, int clients, Duration operationDeadline) {
    this.cluster = cluster;
    this.accounts = List.copyOf(accounts);
    this.keyPrefix = "op-" + Long.toHexString(System.nanoTime()) + "-";
    this.operationDeadline = operationDeadline;
    refreshReady();
    // One checker per node, as a load balancer has: a slow or starting node must not delay
    // noticing that another one stopped being ready.
    for (Node node : cluster.nodes()) {
      Thread health = new Thread(() -> healthChecks(node), "workload-health-" + node.index);
      health.setDaemon(true);
      threads.add(health);
    }
    for (int i = 0; i < clients; i++) {
      long seed = 7919L * (i + 1);
      Thread client = new Thread(() -> clientLoop(new Random(seed)), "workload-client-" + i);
      client.setDaemon(true);
      threads.add(client);
    }
    threads.forEach(Thread::start);
  }

  public static String path(String account) {
    return "/api/v1/entities/account/" + account;
  }

  private void healthChecks(Node node) {
    while (running.get()) {
      refreshReady(node);
      pause(HEALTH_INTERVAL);
    }
  }

  private void refreshReady() {
    cluster.nodes().forEach(this::refreshReady);
  }

  private void refreshReady(Node node) {
    if (node.isAlive() && !node.isPaused() && cluster.status(node, "/health/ready") == 200) {
      ready.addIfAbsent(node);
    } else {
      ready.remove(node);
    }
  }

  private void clientLoop(Random random) {
    while (running.get()) {
      String account = accounts.get(random.nextInt(accounts.size()));
      boolean deposit = random.nextInt(10) < 7;
      long amount = 1 + random.nextInt(deposit ? 100 : 150);
      Operation op =
          new Operation(keyPrefix + sequence.incrementAndGet(), account, deposit, amount);
      history.add(op);
      execute(op, random, operationDeadline);
    }
  }

  /**
   * One deposit of 1 on {@code account}, sent now by the caller's thread as the clients send theirs
   * (any ready node, retried with its key until {@code deadline}) and recorded in the history, so
   * the invariant checkers count it. Returns it with its outcome.
   */
  public Operation depositNow(String account, Duration deadline) {
    Operation op = new Operation(keyPrefix + sequence.incrementAndGet(), account, true, 1);
    history.add(op);
    execute(op, new Random(op.key.hashCode()), deadline);
    return op;
  }

  /**
   * One attempt of a deposit of 1 on {@code account} through {@code via}, whether or not that node
   * is ready, recorded in the history: acknowledged on 200, else indeterminate with the answer as
   * its detail (settled later by {@link #resolveIndeterminate}).
   */
  public Operation depositOnceVia(Node via, String account, Duration timeout) {
    Operation op = new Operation(keyPrefix + sequence.incrementAndGet(), account, true, 1);
    history.add(op);
    try {
      HttpResponse<String> response =
          cluster.post(via, path(op.account), op.body(), op.key, timeout);
      if (response.statusCode() == 200) {
        JsonNode body = EntityJson.MAPPER.readTree(response.body());
        op.version = body.path("version").asLong();
        op.balanceAfter = body.path("state").path("balance").asLong();
        op.outcome = Outcome.ACKNOWLEDGED;
        return op;
      }
      op.detail = response.statusCode() + " " + response.body();
    } catch (IOException e) {
      op.detail = e.toString();
    }
    op.outcome = Outcome.INDETERMINATE;
    return op;
  }

  /** Sends the operation until it gets a definite answer or its deadline passes. */
  private void execute(Operation op, Random random, Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    String lastProblem = "no ready node";
    while (true) {
      Optional<Node> via = pick(random);
      if (via.isPresent()) {
        try {
          HttpResponse<String> response =
              cluster.post(via.get(), path(op.account), op.body(), op.key, ATTEMPT_TIMEOUT);
          int status = response.statusCode();
          if (status == 200) {
            JsonNode body = EntityJson.MAPPER.readTree(response.body());
            op.version = body.path("version").asLong();
            op.balanceAfter = body.path("state").path("balance").asLong();
            op.outcome = Outcome.ACKNOWLEDGED;
            return;
          }
          if (status == 409) {
            op.detail = response.body();
            op.outcome = Outcome.REJECTED;
            return;
          }
          if (status != 503) {
            op.detail = status + " " + response.body();
            op.outcome = Outcome.UNEXPECTED;
            return;
          }
          lastProblem = "503 " + response.body();
        } catch (IOException e) {
          lastProblem = e.getClass().getSimpleName() + " via " + via.get();
        }
        op.failedAttempts++;
        failedAttempts.incrementAndGet();
        failures.add(
            new FailedAttempt(System.nanoTime(), via.get().index, abbreviate(lastProblem)));
        failureKinds.computeIfAbsent(kind(lastProblem), k -> new AtomicLong()).incrementAndGet();
      }
      if (System.nanoTime() > end) {
        op.detail = lastProblem;
        op.outcome = Outcome.INDETERMINATE;
        return;
      }
      pause(Duration.ofMillis(100)); // client back-off before the next attempt
    }
  }

  private Optional<Node> pick(Random random) {
    List<Node> candidates = new ArrayList<>(ready);
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(candidates.get(random.nextInt(candidates.size())));
  }

  /** Stops the clients and waits for their operations in progress to finish. */
  public void stop() {
    running.set(false);
    for (Thread thread : threads) {
      try {
        thread.join(TimeUnit.MINUTES.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * After the load: sends every indeterminate operation again with its own key until it gets a
   * definite answer, as a client would after an outage. A replayed answer tells that the original
   * attempt was applied; a fresh one that it was not (and now is). Returns how many were settled.
   */
  public int resolveIndeterminate(Duration deadline) {
    refreshReady();
    Random random = new Random(1);
    int settled = 0;
    for (Operation op : history) {
      if (op.outcome == Outcome.INDETERMINATE) {
        execute(op, random, deadline);
        if (op.outcome == Outcome.INDETERMINATE) {
          throw new AssertionError("could not settle " + op + " within " + deadline);
        }
        op.resolvedLater = true;
        settled++;
      }
    }
    return settled;
  }

  public List<Operation> history() {
    return Collections.unmodifiableList(history);
  }

  public long failedAttempts() {
    return failedAttempts.get();
  }

  /** Failed attempts that ended after {@code nanos} ({@link System#nanoTime()}). */
  public List<FailedAttempt> failedAttemptsSince(long nanos) {
    return failures.stream().filter(f -> f.nanos() - nanos > 0).toList();
  }

  private static String abbreviate(String problem) {
    return problem.length() <= 200 ? problem : problem.substring(0, 200) + "...";
  }

  /** Failed attempts by kind (status and problem type, or the exception), for the summary. */
  public java.util.Map<String, Long> failureKinds() {
    java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
    failureKinds.forEach((kind, n) -> kinds.put(kind, n.get()));
    return kinds;
  }

  private static String kind(String problem) {
    int type = problem.indexOf("urn:starfish:problem:");
    if (type >= 0) {
      int end = problem.indexOf('"', type);
      return problem.substring(0, 4)
          + problem.substring(type + 21, end < 0 ? problem.length() : end);
    }
    int via = problem.indexOf(" via ");
    return via < 0 ? problem : problem.substring(0, via);
  }

  /**
   * Outcome counts, the ready nodes and the operations still in progress (account, age, failed
   * attempts, last problem): what a failed wait on the workload prints.
   */
  public String progress() {
    StringBuilder text = new StringBuilder();
    java.util.Map<Outcome, Long> counts = new java.util.EnumMap<>(Outcome.class);
    history.forEach(
        op -> {
          if (op.outcome != null) {
            counts.merge(op.outcome, 1L, Long::sum);
          }
        });
    text.append("\nworkload: ").append(counts).append(", ready nodes ").append(ready);
    long now = System.nanoTime();
    history.stream()
        .filter(op -> op.outcome == null)
        .forEach(
            op ->
                text.append(
                    String.format(
                        "%n  in progress %s on %s for %.1f s, %d failed attempts",
                        op.key, op.account, (now - op.createdNanos) / 1e9, op.failedAttempts)));
    List<FailedAttempt> recent = new ArrayList<>(failures);
    recent.subList(0, Math.max(0, recent.size() - 10)).clear();
    recent.forEach(
        f ->
            text.append(
                String.format(
                    "%n  failed %.1f s ago via node %d: %s",
                    (now - f.nanos()) / 1e9, f.node(), f.problem())));
    return text.toString();
  }

  public long count(Outcome outcome) {
    return history.stream().filter(op -> op.outcome == outcome).count();
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running.set(false);
  }
}
