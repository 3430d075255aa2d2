package io.starfish.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.PendingSagas;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/sagas/{type}/pending}: the sagas of a type (e.g. transfers) that have not
 * finished, cluster-wide, for operators. Guarded by the entity API's token when one is set.
 */
public final class SagaRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(SagaRoutes.class);

  private final BiFunction<String, Duration, CompletionStage<Optional<PendingSagas>>> pending;
  private final HttpSettings settings;

  /**
   * @param pending the pending sagas of a type, empty if it is not a saga type (e.g. {@code
   *     StarfishSharding::pendingSagas})
   */
  public SagaRoutes(
      BiFunction<String, Duration, CompletionStage<Optional<PendingSagas>>> pending,
      HttpSettings settings) {
    this.pending = pending;
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("sagas"),
        () ->
            path(
                PathMatchers.segment().slash("pending"),
                type ->
                    get(
                        () ->
                            extractUri(
                                uri ->
                                    authorized(
                                        uri.path(),
                                        () -> completeWithFuture(list(type, uri.path())))))));
  }

  private Route authorized(String instance, java.util.function.Supplier<Route> inner) {
    return BearerAuth.apiTokenIfSet(settings, "saga API", instance, inner);
  }

  private CompletionStage<HttpResponse> list(String type, String instance) {
    return pending
        .apply(type, settings.shardStatsTimeout())
        .thenApply(
            found -> {
              if (found.isEmpty()) {
                return Problem.unknownEntityType("no saga type named \"" + type + "\"")
                    .toResponse(instance, settings.retryAfterSeconds());
              }
              PendingSagas sagas = found.get();
              List<Pending> list =
                  sagas.pending().stream()
                      .map(saga -> new Pending(saga.id(), saga.version(), saga.state()))
                      .toList();
              return JsonResponses.ok(
                  new PendingList(sagas.type(), sagas.complete(), list, sagas.unanswered()));
            })
        .exceptionally(
            failure -> {
              log.warn("pending {} sagas unavailable: {}", type, failure.toString());
              return Problem.unavailable(
                      "the shard regions did not report within " + settings.shardStatsTimeout())
                  .toResponse(instance, settings.retryAfterSeconds());
            });
  }

  // The answer's body, field for field in this order (not PendingSagas' own order).

  record PendingList(
      String type, boolean complete, List<Pending> pending, List<String> unanswered) {}

  record Pending(String id, long version, JsonNode state) {}
}
