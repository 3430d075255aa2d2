package io.starfish.http;

import io.starfish.http.internal.Completions;
import io.starfish.http.internal.ResendingAsk;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityDefinition;
import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityIds;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Success;

/**
 * {@code POST /api/v1/entities/{type}/{id}} (run a command), {@code GET} (read the state), as in
 * the API contract, and {@code DELETE} (delete the entity for good). Everything that can be checked
 * without the entity (type, id, content type, size, JSON, command name and fields) is checked here,
 * so a bad request never reaches an entity.
 */
public final class EntityRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(EntityRoutes.class);

  /** Header that makes a command apply at most once per entity. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /** Header set on the answer to a retry: the original outcome, nothing applied again. */
  public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

  private static final java.util.regex.Pattern IDEMPOTENCY_KEY_FORMAT =
      java.util.regex.Pattern.compile("[\\x21-\\x7E]{1,255}");

  private static final long SHED_WARNING_INTERVAL_NANOS = 10_000_000_000L;

  private final EntityGateway gateway;
  private final HttpSettings settings;
  private final EntityAnswers answers;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong lastShedWarning = new AtomicLong(System.nanoTime() - 20_000_000_000L);

  public EntityRoutes(EntityGateway gateway, HttpSettings settings) {
    this.gateway = gateway;
    this.settings = settings;
    this.answers = new EntityAnswers(settings);
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("entities"),
        () -> extractUri(uri -> authorized(uri.path(), () -> bounded(uri.path(), this::entity))));
  }

  /** Entity requests now being handled by this node (for load shedding and metrics). */
  public int inFlight() {
    return inFlight.get();
  }

  /** Entity requests answered 503 "overloaded" since the node started. */
  public long shed() {
    return shed.get();
  }

  private Route authorized(String instance, Supplier<Route> inner) {
    return BearerAuth.apiTokenIfSet(settings, "entity API", instance, inner);
  }

  /**
   * The bulkhead: at most max-in-flight entity requests at once; the next ones are answered 503 at
   * once rather than queued. The slot is released when the answer (or a rejection or an error) has
   * been produced.
   */
  private Route bounded(String instance, Supplier<Route> inner) {
    return extractRequestContext(
        context -> {
          if (inFlight.incrementAndGet() > settings.maxInFlight()) {
            inFlight.decrementAndGet();
            long total = shed.incrementAndGet();
            long now = System.nanoTime();
            long last = lastShedWarning.get();
            if (now - last > SHED_WARNING_INTERVAL_NANOS
                && lastShedWarning.compareAndSet(last, now)) {
              log.warn(
                  "overloaded: {} entity requests in flight (max-in-flight); shedding load, {} shed"
                      + " so far",
                  settings.maxInFlight(),
                  total);
            }
            return complete(
                Problem.of(
                        "overloaded",
                        "Node overloaded",
                        503,
                        "this node is handling "
                            + settings.maxInFlight()
                            + " requests already; retry later or through another node")
                    .toResponse(instance, settings.retryAfterSeconds()));
          }
          return mapRouteResultFuture(
              // Counted down where the result completes, before the response goes on: a
              // whenComplete stage would be a hop to another thread per request (Completions).
              result ->
                  Completions.afterRunning(result, (done, failure) -> inFlight.decrementAndGet()),
              () -> handleExceptions(failures(instance), inner));
        });
  }

  private ExceptionHandler failures(String instance) {
    return ExceptionHandler.newBuilder()
        .matchAny(
            e -> {
              log.error("unhandled exception in an entity route", e);
              return complete(
                  Problem.internal().toResponse(instance, settings.retryAfterSeconds()));
            })
        .build();
  }

  private Route entity() {
    return path(
        PathMatchers.segment().slash(PathMatchers.segment()),
        (type, id) ->
            concat(
                post(
                    () ->
                        extractUri(
                            uri ->
                                optionalHeaderValueByName(
                                    IDEMPOTENCY_KEY, key -> command(type, id, key, uri.path())))),
                get(() -> extractUri(uri -> state(type, id, uri.path()))),
                delete(() -> extractUri(uri -> delete(type, id, uri.path())))));
  }

  /**
   * Deletes an entity declared with EntityType.of; sagas and hand-written behaviours cannot be
   * deleted (405). Sent again while unanswered: a repeat reaches a deleted entity and gets 410.
   */
  private Route delete(String type, String id, String instance) {
    Optional<Problem> addressProblem = checkAddress(type, id);
    if (addressProblem.isPresent()) {
      return complete(addressProblem.get().toResponse(instance, settings.retryAfterSeconds()));
    }
    if (!(gateway.registry().find(type).orElseThrow() instanceof EntityType<?, ?, ?>)) {
      return complete(
          Problem.of(
                  "method-not-allowed",
                  "Method Not Allowed",
                  405,
                  "entities of type \""
                      + type
                      + "\" cannot be deleted: only entities declared with EntityType.of can")
              .toResponse(instance, settings.retryAfterSeconds())
              .addHeader(Allow.create(HttpMethods.GET, HttpMethods.POST)));
    }
    log.info("deleting {}/{}", type, id);
    return ask(type, id, instance, true, EntityMessage.Delete::new);
  }

  private Route command(String type, String id, Optional<String> key, String instance) {
    Optional<Problem> addressProblem = checkAddress(type, id).or(() -> checkKey(key));
    if (addressProblem.isPresent()) {
      return complete(addressProblem.get().toResponse(instance, settings.retryAfterSeconds()));
    }
    EntityDefinition definition = gateway.registry().find(type).orElseThrow();
    return JsonRequests.json(
        instance,
        settings,
        e -> {
          log.debug("malformed JSON for {}/{}: {}", type, id, e.getOriginalMessage());
          return Problem.invalidJson(
              "the body is not valid JSON: "
                  + e.getOriginalMessage().lines().findFirst().orElse(""));
        },
        json -> {
          CommandCodec.Decoded decoded = definition.commands().decode(json);
          if (!decoded.ok()) {
            log.debug("invalid command for {}/{}: {}", type, id, decoded.error());
            return complete(
                Problem.invalidCommand(decoded.error())
                    .toResponse(instance, settings.retryAfterSeconds()));
          }
          return ask(
              type,
              id,
              instance,
              key.isPresent(),
              replyTo -> new EntityMessage.Execute(json, key.orElse(null), replyTo));
        });
  }

  private Route state(String type, String id, String instance) {
    Optional<Problem> addressProblem = checkAddress(type, id);
    if (addressProblem.isPresent()) {
      return complete(addressProblem.get().toResponse(instance, settings.retryAfterSeconds()));
    }
    return ask(type, id, instance, true, EntityMessage.GetState::new);
  }

  /** Keys as in the IETF Idempotency-Key draft: a short opaque string, e.g. a UUID. */
  private static Optional<Problem> checkKey(Optional<String> key) {
    if (key.isEmpty() || IDEMPOTENCY_KEY_FORMAT.matcher(key.get()).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        Problem.of(
            "invalid-idempotency-key",
            "Invalid idempotency key",
            400,
            "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice);"
                + " got "
                + key.get().length()
                + " characters"));
  }

  private Optional<Problem> checkAddress(String type, String id) {
    return checkAddress(gateway.registry(), type, id);
  }

  /** A problem when {@code type} is not registered or {@code id} is not a valid entity id. */
  static Optional<Problem> checkAddress(EntityRegistry registry, String type, String id) {
    if (registry.find(type).isEmpty()) {
      return Optional.of(
          Problem.unknownEntityType(
              "no entity type \""
                  + CommandCodec.abbreviate(type)
                  + "\"; known types: "
                  + String.join(", ", registry.names())));
    }
    if (!EntityIds.isValid(id)) {
      return Optional.of(
          Problem.invalidId(
              "entity ids are 1 to "
                  + EntityIds.MAX_LENGTH
                  + " characters of A-Z a-z 0-9 . _ : -; got \""
                  + CommandCodec.abbreviate(id)
                  + "\" ("
                  + id.length()
                  + " characters)"));
    }
    return Optional.empty();
  }

  /**
   * Asks the entity and answers with its result; {@code repeatable} messages (reads, keyed
   * commands) are sent again while unanswered ({@link ResendingAsk}). The answer is rendered in one
   * task on the routing's dispatcher, as Pekko's own {@code onComplete} directive would: stages on
   * the ask's future would each be a hop to the common pool.
   */
  private Route ask(
      String type,
      String id,
      String instance,
      boolean repeatable,
      java.util.function.Function<
              org.apache.pekko.actor.typed.ActorRef<EntityResult>, EntityMessage>
          message) {
    CompletionStage<EntityResult> answer;
    try {
      answer =
          repeatable
              ? ResendingAsk.ask(
                  gateway, type, id, message, settings.askTimeout(), settings.resendAfter())
              : gateway.ask(type, id, message, settings.askTimeout());
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    CompletionStage<EntityResult> asked = answer;
    return extractExecutionContext(
        dispatcher ->
            completeWithFuture(
                FutureConverters.asJava(
                    FutureConverters.asScala(asked)
                        .transform(
                            outcome -> new Success<>(answer(type, id, instance, outcome)),
                            dispatcher))));
  }

  /**
   * The HTTP answer to the ask's outcome; a 500 problem if even that fails (any Throwable: Scala's
   * transform would let a fatal one escape and leave the request, and its in-flight slot, hanging).
   */
  private HttpResponse answer(
      String type, String id, String instance, scala.util.Try<EntityResult> outcome) {
    try {
      return outcome.isSuccess()
          ? answers.of(type, id, instance, outcome.get())
          : answers.failed(type, id, instance, outcome.failed().get());
    } catch (Throwable t) {
      return answers.failed(type, id, instance, t);
    }
  }
}
