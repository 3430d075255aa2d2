package io.starfish.observability;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The node's one metrics registry (Micrometer, exposed in Prometheus text format at {@code
 * /metrics}). It lives in the observability module, which depends on no other Starfish module, so
 * that every layer records into the same registry: sharding (entity telemetry), the healing
 * timeline, the HTTP API and the runtime's cluster gauges. One instance per actor system, so that
 * several nodes in one JVM (tests) keep separate numbers.
 */
public final class StarfishMetrics implements Extension {

  /**
   * Bucket bounds of every latency histogram: from a cached read (1 ms) to an ask timeout (10 s).
   * Fixed bounds (rather than Micrometer's ~70 percentile buckets) keep a scrape small.
   */
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  /** Bucket bounds of healing durations (unreachable to downed, downed to recovered). */
  private static final Duration[] HEALING_BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(15),
    Duration.ofSeconds(20),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60),
    Duration.ofSeconds(120)
  };

  /** Bucket bounds of read-side lag (an event's write to its view row): 100 ms to 2 min. */
  private static final Duration[] LAG_BUCKETS = {
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(3),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60),
    Duration.ofSeconds(120)
  };

  private static final ExtensionId<StarfishMetrics> ID =
      new ExtensionId<>() {
        @Override
        public StarfishMetrics createExtension(ActorSystem<?> system) {
          StarfishMetrics metrics =
              new StarfishMetrics(
                  system.settings().config().getBoolean("starfish.metrics.jvm-metrics"));
          // GC listeners are JVM-wide: a stopped node (tests start many) must not leave its own
          system.getWhenTerminated().thenRun(metrics::close);
          return metrics;
        }
      };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private JvmGcMetrics gcMetrics;

  /** Public for tests that need a fresh, unshared instance. */
  public StarfishMetrics(boolean jvmMetrics) {
    // Two of Micrometer's processor meters fail `promtool check metrics`: process.cpu.time is
    // exported in nanoseconds (an abbreviated unit in its name; process_cpu_usage remains), and
    // system.cpu.count ends in _count without being a histogram.
    registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")));
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count")
                    ? id.withName("system.cpu.cores")
                    : id;
              }
            });
    if (jvmMetrics) {
      new JvmMemoryMetrics().bindTo(registry);
      // Listens to GC notifications until closed (see close()).
      gcMetrics = new JvmGcMetrics();
      gcMetrics.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
    }
  }

  /** Stops the GC listeners and the registry (when the node's actor system has terminated). */
  public void close() {
    if (gcMetrics != null) {
      gcMetrics.close();
    }
    registry.close();
  }

  public static StarfishMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in the Prometheus text exposition format (version 0.0.4). */
  public String scrape() {
    return registry.scrape();
  }

  /** A latency timer with a histogram (Prometheus {@code _bucket} series) over fixed bounds. */
  public Timer latency(String name, String description, String... tags) {
    return timer(name, description, LATENCY_BUCKETS, tags);
  }

  /** A timer of healing steps, with buckets from 1 s to 2 min. */
  public Timer healing(String name, String description, String... tags) {
    return timer(name, description, HEALING_BUCKETS, tags);
  }

  /** A timer of read-side lag, with buckets from 100 ms to 2 min. */
  public Timer lag(String name, String description, String... tags) {
    return timer(name, description, LAG_BUCKETS, tags);
  }

  private Timer timer(String name, String description, Duration[] buckets, String... tags) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .serviceLevelObjectives(buckets)
        .register(registry);
  }
}
