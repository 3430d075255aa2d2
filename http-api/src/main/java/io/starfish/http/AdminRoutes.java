package io.starfish.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.internal.TransportBlackhole;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityIds;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator actions under {@code /api/v1/admin/}, each requiring {@code Authorization: Bearer
 * <starfish.http.admin-token>}: without a token 401, with a wrong one (or when no token is
 * configured) 403.
 *
 * <p>{@code POST /api/v1/admin/leave}: this node leaves the cluster gracefully, exactly as on
 * SIGTERM: CoordinatedShutdown hands its shards off to the other nodes, leaves, and stops the node.
 *
 * <p>{@code POST /api/v1/admin/partition} with {@code {"peers": ["pekko://starfish@host:port",
 * ...]}}: a chaos action for tests and demonstrations; this node drops all cluster traffic to and
 * from those peers (both directions) until {@code DELETE /api/v1/admin/partition} heals every cut.
 * It needs {@code pekko.remote.artery.advanced.test-mode = on} (409 otherwise); see {@link
 * TransportBlackhole}.
 *
 * <p>{@code POST /api/v1/admin/entities/{type}/{id}/crash}: a chaos action; the entity throws
 * (wherever it runs), supervision restarts it with backoff and it recovers from its journal. 202
 * once the request is sent; nothing is persisted.
 */
public final class AdminRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);

  private final ActorSystem<?> system;
  private final HttpSettings settings;
  private final TransportBlackhole blackhole;
  private final BiPredicate<String, String> crash;

  /**
   * @param crash sends a crash request to entity (type, id); false if the type is unknown (e.g.
   *     {@code StarfishSharding::crash})
   */
  public AdminRoutes(
      ActorSystem<?> system, HttpSettings settings, BiPredicate<String, String> crash) {
    this.system = system;
    this.settings = settings;
    this.blackhole = new TransportBlackhole(system);
    this.crash = crash;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("admin"),
        () ->
            extractUri(
                uri ->
                    authorized(
                        uri.path(),
                        () ->
                            concat(
                                path("leave", () -> post(this::leave)),
                                path(
                                    PathMatchers.segment("entities")
                                        .slash(PathMatchers.segment())
                                        .slash(PathMatchers.segment())
                                        .slash("crash"),
                                    (type, id) -> post(() -> crash(type, id, uri.path()))),
                                path(
                                    "partition",
                                    () ->
                                        concat(
                                            post(() -> partition(uri.path())),
                                            delete(() -> heal(uri.path()))))))));
  }

  private Route crash(String type, String id, String instance) {
    if (!EntityIds.isValid(id)) {
      return complete(
          Problem.invalidId(
                  "entity ids are 1 to " + EntityIds.MAX_LENGTH + " characters of [A-Za-z0-9._:-]")
              .toResponse(instance, settings.retryAfterSeconds()));
    }
    if (!crash.test(type, id)) {
      return complete(
          Problem.unknownEntityType("no entity type named '" + CommandCodec.abbreviate(type) + "'")
              .toResponse(instance, settings.retryAfterSeconds()));
    }
    log.warn("admin request: entity {}/{} is made to crash (chaos action)", type, id);
    return complete(
        JsonResponses.status(
            StatusCodes.ACCEPTED, new CrashRequested(type, id, "crash requested")));
  }

  private Route partition(String instance) {
    if (!blackhole.available()) {
      return complete(partitionUnavailable().toResponse(instance, settings.retryAfterSeconds()));
    }
    return JsonRequests.json(
        instance,
        settings,
        e -> invalidRequest("the body is not valid JSON"),
        json -> {
          List<Address> peers;
          try {
            peers = parsePeers(json);
          } catch (IllegalArgumentException e) {
            return complete(
                invalidRequest(e.getMessage()).toResponse(instance, settings.retryAfterSeconds()));
          }
          try {
            for (Address peer : peers) {
              blackhole.cut(peer);
            }
          } catch (Exception e) {
            log.error("admin request: cutting {} failed", peers, e);
            return complete(
                Problem.of(
                        "internal-error", "Internal error", 500, "cutting the traffic failed: " + e)
                    .toResponse(instance, settings.retryAfterSeconds()));
          }
          log.warn(
              "admin request: cluster traffic to and from {} is now DROPPED (chaos"
                  + " action; DELETE /api/v1/admin/partition heals it)",
              peers);
          return complete(JsonResponses.ok(new Cut(selfAddress(), blackhole.cutPeers())));
        });
  }

  private Route heal(String instance) {
    if (!blackhole.available()) {
      return complete(partitionUnavailable().toResponse(instance, settings.retryAfterSeconds()));
    }
    Set<String> healed;
    try {
      healed = blackhole.healAll();
    } catch (Exception e) {
      log.error("admin request: healing the partition failed", e);
      return complete(
          Problem.of("internal-error", "Internal error", 500, "healing failed: " + e)
              .toResponse(instance, settings.retryAfterSeconds()));
    }
    log.warn("admin request: cluster traffic to and from {} flows again", healed);
    return complete(JsonResponses.ok(new Healed(selfAddress(), healed)));
  }

  /** {"peers": [address, ...]}: 1 to 64 remote addresses other than this node's own. */
  private List<Address> parsePeers(JsonNode json) {
    JsonNode peers = json == null ? null : json.get("peers");
    if (peers == null || !peers.isArray() || peers.isEmpty() || peers.size() > 64) {
      throw new IllegalArgumentException(
          "expected {\"peers\": [\"pekko://system@host:port\", ...]} with 1 to 64 addresses");
    }
    Address self = Cluster.get(system).selfMember().address();
    List<Address> addresses = new ArrayList<>();
    for (JsonNode peer : peers) {
      if (!peer.isTextual()) {
        throw new IllegalArgumentException("every peer must be an address string");
      }
      Address address;
      try {
        address = TransportBlackhole.parse(peer.asText());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "not a node address (pekko://system@host:port): "
                + CommandCodec.abbreviate(peer.asText()));
      }
      if (address.equals(self)) {
        throw new IllegalArgumentException("a node cannot be cut from itself");
      }
      addresses.add(address);
    }
    return addresses;
  }

  private static Problem invalidRequest(String detail) {
    return Problem.of("invalid-request", "Invalid request", 400, detail);
  }

  private static Problem partitionUnavailable() {
    return Problem.of(
        "partition-unavailable",
        "Partition action unavailable",
        409,
        "this node runs without Artery's test mode; start it with"
            + " pekko.remote.artery.advanced.test-mode = on (STARFISH_CHAOS=on) to use partitions");
  }

  private String selfAddress() {
    return Cluster.get(system).selfMember().address().toString();
  }

  private Route authorized(String instance, java.util.function.Supplier<Route> inner) {
    return optionalHeaderValueByType(
        Authorization.class,
        header -> {
          Optional<Problem> problem = authProblem(header.map(Authorization::value));
          if (problem.isPresent()) {
            return complete(problem.get().toResponse(instance, settings.retryAfterSeconds()));
          }
          return inner.get();
        });
  }

  private Optional<Problem> authProblem(Optional<String> authorization) {
    if (authorization.isPresent() && settings.adminToken().isEmpty()) {
      return Optional.of(
          Problem.of(
              "forbidden",
              "Forbidden",
              403,
              "the admin API is disabled on this node (starfish.http.admin-token is not set)"));
    }
    Optional<Problem> problem =
        BearerAuth.check(authorization, settings.adminToken().orElse(""), "admin API");
    if (problem.isPresent() && problem.get().status() == 403) {
      log.warn("admin request with a wrong token refused");
    }
    return problem;
  }

  private Route leave() {
    String self = selfAddress();
    log.info("admin request: node {} leaves the cluster", self);
    byte[] bytes = JsonResponses.bytes(new Leaving(self, "leaving"));
    // The shutdown starts only once the 202 has been handed to the connection: started earlier, a
    // node that leaves quickly (no shards to hand off) can close the socket before the answer is
    // written, and the caller sees a reset instead of the 202.
    Source<ByteString, NotUsed> data =
        Source.single(ByteString.fromArray(bytes))
            .watchTermination(
                (notUsed, done) -> {
                  done.whenComplete(
                      (ok, failure) ->
                          CoordinatedShutdown.get(system)
                              .runAll(CoordinatedShutdown.clusterLeavingReason()));
                  return notUsed;
                });
    return complete(
        HttpResponse.create()
            .withStatus(StatusCodes.ACCEPTED)
            .addHeader(Connection.create("close"))
            .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes.length, data)));
  }

  // The answers' bodies, field for field in this order.

  record CrashRequested(String type, String id, String status) {}

  record Cut(String node, Set<String> cut) {}

  record Healed(String node, Set<String> healed) {}

  record Leaving(String node, String status) {}
}
