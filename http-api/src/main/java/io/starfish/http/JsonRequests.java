package io.starfish.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.http.internal.RequestBodies;
import io.starfish.sharding.EntityJson;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A JSON request body, checked the same way by every route that takes one: application/json (else
 * 415), at most {@code max-body-size} (else 413), valid JSON (else the caller's own problem, since
 * the entity API and the admin API word that one differently).
 */
final class JsonRequests extends AllDirectives {

  private static final JsonRequests D = new JsonRequests();

  private JsonRequests() {}

  /**
   * @param instance the request path, for the problem's {@code instance}
   * @param invalidJson the problem answered when the body does not parse
   * @param withJson the route for the parsed body (as {@link EntityJson#COMMANDS} reads it)
   */
  static Route json(
      String instance,
      HttpSettings settings,
      Function<JsonProcessingException, Problem> invalidJson,
      Function<JsonNode, Route> withJson) {
    return D.extractRequestEntity(
        entity -> {
          if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            return answer(
                Problem.unsupportedMediaType(entity.getContentType().mediaType()),
                instance,
                settings);
          }
          return RequestBodies.text(
              entity,
              settings.maxBodyBytes(),
              body -> {
                JsonNode json;
                try {
                  json = EntityJson.COMMANDS.readTree(body);
                } catch (JsonProcessingException e) {
                  return answer(invalidJson.apply(e), instance, settings);
                }
                return withJson.apply(json);
              },
              () -> answer(Problem.payloadTooLarge(settings.maxBodyBytes()), instance, settings));
        });
  }

  private static Route answer(Problem problem, String instance, HttpSettings settings) {
    return D.complete(problem.toResponse(instance, settings.retryAfterSeconds()));
  }
}
