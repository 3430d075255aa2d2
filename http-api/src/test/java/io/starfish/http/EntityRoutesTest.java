package io.starfish.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starfish.persistence.CborSerializable;
import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityRegistry;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.EntityType;
import io.starfish.sharding.Outcome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Directives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP contract with a probe standing in for the entities. */
class EntityRoutesTest {

  sealed interface Command permits Deposit {}

  record Deposit(long amount) implements Command {}

  record Deposited(long amount) implements CborSerializable {}

  record Balance(long balance) implements CborSerializable {}

  static final EntityType<Command, Deposited, Balance> ACCOUNT =
      EntityType.of(
          "account",
          Command.class,
          Deposited.class,
          new Balance(0),
          (s, c) -> Outcome.persist(new Deposited(((Deposit) c).amount())),
          (s, e) -> new Balance(s.balance() + e.amount()));

  /** A hand-written behaviour: it cannot be deleted. */
  static final EntityType.Custom CLOCK =
      EntityType.custom(
          "clock", context -> org.apache.pekko.actor.typed.javadsl.Behaviors.ignore());

  private static ActorTestKit testKit;
  private static TestProbe<EntityMessage> entities;
  private static ServerBinding binding;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("EntityRoutesTest");
    entities = testKit.createTestProbe();
    EntityGateway gateway =
        new EntityGateway() {
          @Override
          public EntityRegistry registry() {
            return EntityRegistry.of(ACCOUNT, CLOCK);
          }

          @Override
          public CompletionStage<EntityResult> ask(
              String type,
              String id,
              Function<ActorRef<EntityResult>, EntityMessage> message,
              Duration timeout) {
            return AskPattern.ask(
                entities.ref(), message::apply, timeout, testKit.system().scheduler());
          }
        };
    HttpSettings settings =
        new HttpSettings(
            "127.0.0.1",
            0,
            // long enough that a slow test thread answers the entity's ask in time
            Duration.ofSeconds(2),
            1024,
            2,
            Optional.empty(),
            Duration.ofSeconds(1));
    var routes =
        Directives.concat(
            new EntityRoutes(gateway, settings).route(),
            new HealthRoutes(List.of(), settings).route());
    binding =
        StarfishHttpServer.bind(testKit.system(), routes, settings)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void noLeftOverMessages() {
    entities.expectNoMessage(Duration.ofMillis(10));
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path);
  }

  private static CompletionStage<HttpResponse<String>> post(String path, String json) {
    return client.sendAsync(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> await(CompletionStage<HttpResponse<String>> response)
      throws Exception {
    return response.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static JsonNode body(HttpResponse<String> response) throws Exception {
    return EntityJson.MAPPER.readTree(response.body());
  }

  @Test
  void aValidCommandReachesTheEntityAsJsonAndItsAnswerBecomesTheContractBody() throws Exception {
    var pending = post("/api/v1/entities/account/a-17", "{\"type\":\"deposit\",\"amount\":50}");

    EntityMessage.Execute execute = entities.expectMessageClass(EntityMessage.Execute.class);
    assertThat(execute.command().toString()).isEqualTo("{\"type\":\"deposit\",\"amount\":50}");
    execute
        .replyTo()
        .tell(
            new EntityResult.Accepted(
                7,
                EntityJson.MAPPER.readTree("{\"balance\":50}"),
                EntityJson.MAPPER.readTree("{\"ok\":true}")));

    HttpResponse<String> response = await(pending);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(body(response).toString())
        .isEqualTo(
            "{\"type\":\"account\",\"id\":\"a-17\",\"version\":7,"
                + "\"state\":{\"balance\":50},\"reply\":{\"ok\":true}}");
  }

  @Test
  void getAsksForTheStateAndAnswersWithoutAReply() throws Exception {
    var pending =
        client.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/entities/account/a1")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    EntityMessage.GetState get = entities.expectMessageClass(EntityMessage.GetState.class);
    get.replyTo().tell(new EntityResult.Current(0, EntityJson.MAPPER.readTree("{\"balance\":0}")));

    HttpResponse<String> response = await(pending);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(body(response).toString())
        .isEqualTo("{\"type\":\"account\",\"id\":\"a1\",\"version\":0,\"state\":{\"balance\":0}}");
  }

  @Test
  void domainRejectionIs409AndInvalidFieldIs400AsProblemJson() throws Exception {
    var rejected = post("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(new EntityResult.Rejected("insufficient funds"));
    assertProblem(await(rejected), 409, "command-rejected", "insufficient funds");

    var invalid = post("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(new EntityResult.Invalid("amount must be greater than 0"));
    assertProblem(await(invalid), 400, "invalid-command", "amount must be greater than 0");
  }

  @Test
  void aQuarantinedCommandIs409AndAnUnavailableEntity503WithRetryAfter() throws Exception {
    var quarantined = post("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(new EntityResult.Quarantined("made the entity fail 3 times in a row"));
    assertProblem(
        await(quarantined), 409, "command-quarantined", "made the entity fail 3 times in a row");

    var unavailable = post("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(new EntityResult.Unavailable("the journal (Cassandra) is unreachable"));
    HttpResponse<String> response = await(unavailable);
    assertProblem(response, 503, "unavailable", "the journal (Cassandra) is unreachable");
    assertThat(response.headers().firstValue("Retry-After")).isPresent();
  }

  private static CompletionStage<HttpResponse<String>> postWithKey(
      String path, String json, String key) {
    return client.sendAsync(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDeletionIsAnsweredWithTheLastVersionAndADeletedEntityWith410() throws Exception {
    var deleting =
        client.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/entities/account/gone-1")).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    entities
        .expectMessageClass(EntityMessage.Delete.class)
        .replyTo()
        .tell(new EntityResult.Deleted(4));
    HttpResponse<String> deleted = await(deleting);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(body(deleted).toString())
        .isEqualTo("{\"type\":\"account\",\"id\":\"gone-1\",\"version\":4,\"deleted\":true}");

    var reading =
        client.sendAsync(
            HttpRequest.newBuilder(uri("/api/v1/entities/account/gone-1")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    entities
        .expectMessageClass(EntityMessage.GetState.class)
        .replyTo()
        .tell(new EntityResult.Gone(4));
    assertProblem(await(reading), 410, "entity-deleted", "was deleted at version 4");
  }

  @Test
  void theIdempotencyKeyTravelsWithTheCommandAndARepeatedOutcomeIsMarkedAsReplayed()
      throws Exception {
    var pending =
        postWithKey("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}", "k-77");
    EntityMessage.Execute execute = entities.expectMessageClass(EntityMessage.Execute.class);
    assertThat(execute.idempotencyKey()).isEqualTo("k-77");
    execute
        .replyTo()
        .tell(
            new EntityResult.Repeated(
                3,
                EntityJson.MAPPER.readTree("{\"balance\":5}"),
                EntityJson.MAPPER.readTree("{}"),
                null));
    HttpResponse<String> response = await(pending);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(body(response).toString())
        .isEqualTo(
            "{\"type\":\"account\",\"id\":\"a1\",\"version\":3,"
                + "\"state\":{\"balance\":5},\"reply\":{}}");

    var rejectedBefore =
        postWithKey("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}", "k-78");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(
            new EntityResult.Repeated(
                0, EntityJson.MAPPER.readTree("{}"), null, "insufficient funds"));
    HttpResponse<String> replayedRejection = await(rejectedBefore);
    assertProblem(replayedRejection, 409, "command-rejected", "insufficient funds");
    assertThat(replayedRejection.headers().firstValue("Idempotent-Replayed")).hasValue("true");

    var reused =
        postWithKey("/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":6}", "k-77");
    entities
        .expectMessageClass(EntityMessage.Execute.class)
        .replyTo()
        .tell(new EntityResult.KeyReused("the idempotency key \"k-77\" was already used"));
    assertProblem(await(reused), 400, "idempotency-key-reused", "k-77");
  }

  @Test
  void anInvalidIdempotencyKeyIsRefusedBeforeReachingTheEntity() throws Exception {
    for (String key : new String[] {"x".repeat(256), "has space", "tab\tinside"}) {
      assertProblem(
          await(
              postWithKey(
                  "/api/v1/entities/account/a1", "{\"type\":\"deposit\",\"amount\":5}", key)),
          400,
          "invalid-idempotency-key",
          "Idempotency-Key must be 1 to 255 visible ASCII characters");
    }
    entities.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void anEntityThatDoesNotAnswerGives503WithRetryAfterAtTheDeadline() throws Exception {
    long t0 = System.nanoTime();
    var pending = post("/api/v1/entities/account/slow", "{\"type\":\"deposit\",\"amount\":5}");
    entities.expectMessageClass(EntityMessage.Execute.class); // and never answer

    HttpResponse<String> response = await(pending);
    assertProblem(response, 503, "unavailable", "did not answer within 2000 ms");
    assertThat(response.headers().firstValue("Retry-After")).contains("2");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(7));
  }

  @Test
  void requestsThatAreWrongBeforeReachingAnEntityNeverReachIt() throws Exception {
    assertProblem(
        await(post("/api/v1/entities/nope/a1", "{\"type\":\"deposit\",\"amount\":5}")),
        404,
        "unknown-entity-type",
        "known types: account");
    assertProblem(
        await(post("/api/v1/entities/account/" + "x".repeat(129), "{}")),
        400,
        "invalid-id",
        "129 characters");
    assertProblem(await(post("/api/v1/entities/account/a%2Fb", "{}")), 400, "invalid-id", "a/b");
    assertProblem(
        await(post("/api/v1/entities/account/a1", "{\"type\":")), 400, "invalid-json", "");
    assertProblem(
        await(post("/api/v1/entities/account/a1", "{\"type\":\"fly\"}")),
        400,
        "invalid-command",
        "unknown command \"fly\"");
    assertProblem(
        await(post("/api/v1/entities/account/a1", "{\"type\":\"deposit\"}")),
        400,
        "invalid-command",
        "missing field \"amount\"");
    assertProblem(
        await(
            post(
                "/api/v1/entities/account/a1",
                "{\"type\":\"deposit\",\"amount\":5,\"pad\":\"" + "p".repeat(2000) + "\"}")),
        413,
        "payload-too-large",
        "");
    assertProblem(
        await(
            client.sendAsync(
                HttpRequest.newBuilder(uri("/api/v1/entities/account/a1"))
                    .header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())),
        415,
        "unsupported-media-type",
        "application/json");
    HttpResponse<String> delete =
        await(
            client.sendAsync(
                HttpRequest.newBuilder(uri("/api/v1/entities/clock/c1")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()));
    assertProblem(delete, 405, "method-not-allowed", "");
    assertThat(delete.headers().firstValue("Allow")).isPresent();
    assertProblem(
        await(
            client.sendAsync(
                HttpRequest.newBuilder(uri("/no/such/route")).GET().build(),
                HttpResponse.BodyHandlers.ofString())),
        404,
        "not-found",
        "");

    entities.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void aliveIsAlways200AndReadyWithNoFailingCheckIs200() throws Exception {
    for (String path : new String[] {"/health/alive", "/health/ready"}) {
      HttpResponse<String> response =
          await(
              client.sendAsync(
                  HttpRequest.newBuilder(uri(path)).GET().build(),
                  HttpResponse.BodyHandlers.ofString()));
      assertThat(response.statusCode()).as(path).isEqualTo(200);
    }
  }

  static void assertProblem(HttpResponse<String> response, int status, String kind, String detail)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
    JsonNode problem = body(response);
    assertThat(problem.get("type").asText()).isEqualTo(Problem.typeUri(kind));
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("title").asText()).isNotBlank();
    assertThat(problem.get("detail").asText()).contains(detail);
    assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
