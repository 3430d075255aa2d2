package io.starfish.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.internal.Json;
import java.util.Optional;
import org.apache.pekko.NotUsed;
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
 */
public final class AdminRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);

  private final ActorSystem<?> system;
  private final HttpSettings settings;

  public AdminRoutes(ActorSystem<?> system, HttpSettings settings) {
    this.system = system;
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("admin"),
        () ->
            extractUri(
                uri ->
                    authorized(uri.path(), () -> concat(path("leave", () -> post(this::leave))))));
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
    String self = Cluster.get(system).selfMember().address().toString();
    log.info("admin request: node {} leaves the cluster", self);
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("node", self);
    body.put("status", "leaving");
    byte[] bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
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
}
