package io.starfish.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's open Server-Sent Event streams (an entity's events, a type's events): at most {@code
 * max-open} at once (503 beyond, each one polls the journal), a heartbeat on quiet streams, and all
 * of them ended when the node stops, so that clients reconnect elsewhere with Last-Event-ID.
 */
public final class EventStreams {

  private static final Logger log = LoggerFactory.getLogger(EventStreams.class);

  /**
   * Settings of the live event streams ({@code starfish.http.event-streams}).
   *
   * @param heartbeat a comment line is sent on a stream quiet for this long
   * @param maxOpen streams open at once on this node
   * @param typeResumeOverlap how far before its Last-Event-ID a resumed type stream starts again
   */
  public record Settings(Duration heartbeat, int maxOpen, Duration typeResumeOverlap) {
    public Settings {
      if (typeResumeOverlap.isNegative()) {
        throw new IllegalArgumentException(
            "type-resume-overlap must be >= 0, was " + typeResumeOverlap);
      }
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be > 0, was " + heartbeat);
      }
      if (maxOpen < 1) {
        throw new IllegalArgumentException("max-open must be >= 1, was " + maxOpen);
      }
    }

    public static Settings create(Config config) {
      Config c = config.getConfig("starfish.http.event-streams");
      return new Settings(
          c.getDuration("heartbeat"), c.getInt("max-open"), c.getDuration("type-resume-overlap"));
    }
  }

  private final Settings settings;
  private final HttpSettings http;
  private final AtomicInteger open = new AtomicInteger();
  private final SharedKillSwitch closing = KillSwitches.shared("event-streams");

  public EventStreams(Settings settings, HttpSettings http) {
    this.settings = settings;
    this.http = http;
  }

  /**
   * Ends every open stream (normally, as a server closing the connection would) and every one
   * opened after; called when the node stops.
   */
  public void closeAll() {
    closing.shutdown();
  }

  /** How far before its Last-Event-ID a resumed type stream starts again. */
  Duration typeResumeOverlap() {
    return settings.typeResumeOverlap();
  }

  /** Streams open on this node now. */
  public int openCount() {
    return open.get();
  }

  /** Serves {@code source} as an event stream named {@code what}, within the bound. */
  Route serve(String what, Source<ServerSentEvent, NotUsed> source, String instance) {
    if (open.incrementAndGet() > settings.maxOpen()) {
      open.decrementAndGet();
      return Directives.complete(
          Problem.of(
                  "overloaded",
                  "Node overloaded",
                  503,
                  "this node has "
                      + settings.maxOpen()
                      + " event streams open already (starfish.http.event-streams.max-open);"
                      + " retry later or through another node")
              .toResponse(instance, http.retryAfterSeconds()));
    }
    Source<ServerSentEvent, NotUsed> served =
        source
            .via(closing.flow())
            .keepAlive(settings.heartbeat(), ServerSentEvent::heartbeat)
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (ok, failure) -> {
                        open.decrementAndGet();
                        if (failure != null) {
                          log.info("event stream of {} ended: {}", what, failure.toString());
                        }
                      });
                  return mat;
                });
    return Directives.completeOK(served, EventStreamMarshalling.toEventStream());
  }
}
