package io.starfish.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.sharding.EntityResult;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP answer to an entity's result: the entity envelope, or the problem it stands for. */
final class EntityAnswers {

  // Logged under EntityRoutes, as before this class was split off, so log settings still apply.
  private static final Logger log = LoggerFactory.getLogger(EntityRoutes.class);

  private final HttpSettings settings;

  EntityAnswers(HttpSettings settings) {
    this.settings = settings;
  }

  /** The answer to the entity's result. */
  HttpResponse of(String type, String id, String instance, EntityResult result) {
    if (result instanceof EntityResult.Accepted accepted) {
      return JsonResponses.ok(
          new Replied(type, id, accepted.version(), accepted.state(), accepted.reply()));
    }
    if (result instanceof EntityResult.Current current) {
      return JsonResponses.ok(new State(type, id, current.version(), current.state()));
    }
    if (result instanceof EntityResult.Repeated repeated) {
      HttpResponse original;
      if (repeated.rejection() != null) {
        original =
            Problem.rejected(repeated.rejection())
                .toResponse(instance, settings.retryAfterSeconds());
      } else {
        original =
            JsonResponses.ok(
                new Replied(type, id, repeated.version(), repeated.state(), repeated.reply()));
      }
      return original.addHeader(RawHeader.create(EntityRoutes.IDEMPOTENT_REPLAYED, "true"));
    }
    if (result instanceof EntityResult.KeyReused reused) {
      return Problem.of("idempotency-key-reused", "Idempotency key reused", 400, reused.reason())
          .toResponse(instance, settings.retryAfterSeconds());
    }
    if (result instanceof EntityResult.Rejected rejected) {
      return Problem.rejected(rejected.reason()).toResponse(instance, settings.retryAfterSeconds());
    }
    if (result instanceof EntityResult.Invalid invalid) {
      return Problem.invalidCommand(invalid.reason())
          .toResponse(instance, settings.retryAfterSeconds());
    }
    if (result instanceof EntityResult.Quarantined quarantined) {
      return Problem.quarantined(quarantined.reason())
          .toResponse(instance, settings.retryAfterSeconds());
    }
    if (result instanceof EntityResult.Unavailable unavailable) {
      log.debug("{}/{} unavailable: {}", type, id, unavailable.reason());
      return Problem.unavailable(unavailable.reason())
          .toResponse(instance, settings.retryAfterSeconds());
    }
    if (result instanceof EntityResult.Deleted deleted) {
      return JsonResponses.ok(new Deleted(type, id, deleted.version(), true));
    }
    if (result instanceof EntityResult.Gone gone) {
      return Problem.of(
              "entity-deleted",
              "Entity deleted",
              410,
              "entity "
                  + type
                  + "/"
                  + id
                  + " was deleted at version "
                  + gone.version()
                  + "; its id cannot be used again")
          .toResponse(instance, settings.retryAfterSeconds());
    }
    throw new IllegalStateException("unexpected entity result " + result);
  }

  /** The answer when the entity did not answer (timeout) or the ask failed. */
  HttpResponse failed(String type, String id, String instance, Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof TimeoutException) {
      log.warn("{}/{} did not answer within {}", type, id, settings.askTimeout());
      return Problem.unavailable(
              "entity "
                  + type
                  + "/"
                  + id
                  + " did not answer within "
                  + settings.askTimeout().toMillis()
                  + " ms; retry later")
          .toResponse(instance, settings.retryAfterSeconds());
    }
    log.error("request to {}/{} failed", type, id, cause);
    return Problem.internal().toResponse(instance, settings.retryAfterSeconds());
  }

  /** The answer to a read: the entity and its state. */
  record State(String type, String id, long version, JsonNode state) {}

  /** The answer to a deletion: the version the entity had. */
  record Deleted(String type, String id, long version, boolean deleted) {}

  /** The answer to an applied command: the state after it and the command's reply. */
  record Replied(String type, String id, long version, JsonNode state, JsonNode reply) {}
}
