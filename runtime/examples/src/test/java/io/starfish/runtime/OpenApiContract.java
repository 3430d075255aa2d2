package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.starfish.http.OpenApiRoutes;
import io.starfish.sharding.EntityJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The served OpenAPI document as a test oracle: finds the operation of a request and checks that a
 * response's status is documented for it and its body validates against the documented schema (JSON
 * Schema 2020-12, as OpenAPI 3.1 uses).
 */
final class OpenApiContract {

  static final JsonNode DOCUMENT = load();

  private static final JsonSchemaFactory SCHEMAS =
      JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

  private OpenApiContract() {}

  private static JsonNode load() {
    try {
      return EntityJson.MAPPER.readTree(OpenApiRoutes.load());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The documented path template that {@code path} (without query) matches, if any. */
  static Optional<String> template(String path) {
    Iterator<String> templates = DOCUMENT.get("paths").fieldNames();
    while (templates.hasNext()) {
      String template = templates.next();
      String regex = Pattern.quote(template).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q");
      if (Pattern.matches(regex, path)) {
        return Optional.of(template);
      }
    }
    return Optional.empty();
  }

  /** Every documented operation, as "METHOD template". */
  static List<String> operations() {
    List<String> operations = new ArrayList<>();
    DOCUMENT
        .get("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        operation -> {
                          if (!operation.getKey().equals("parameters")) {
                            operations.add(
                                operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
                          }
                        }));
    return operations;
  }

  /**
   * Asserts that the response to {@code method path} is documented: its status among the
   * operation's responses, its content type and body as described there. 405 answers are Pekko's
   * for undocumented methods and need only be problems.
   */
  static void assertConforms(String method, String path, HttpResponse<String> response) {
    String label = method + " " + path + " -> " + response.statusCode();
    Optional<String> template = template(path.replaceAll("\\?.*", ""));
    assertThat(template).as("documented path for " + label).isPresent();
    JsonNode operation =
        DOCUMENT.get("paths").get(template.get()).get(method.toLowerCase(Locale.ROOT));
    if (operation == null) {
      assertThat(response.statusCode()).as("undocumented method: " + label).isEqualTo(405);
      validate(label, "application/problem+json", ref("Problem"), response);
      return;
    }
    JsonNode documented = operation.get("responses").get(Integer.toString(response.statusCode()));
    assertThat(documented)
        .as("status documented for " + label + " (body " + response.body() + ")")
        .isNotNull();
    JsonNode content = documented.get("content");
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    String mediaType = contentType.replaceAll(";.*", "").trim();
    assertThat(content.has(mediaType))
        .as("content type " + contentType + " documented for " + label)
        .isTrue();
    validate(label, mediaType, content.get(mediaType).get("schema"), response);
    JsonNode headers = documented.get("headers");
    if (headers != null && headers.has("Retry-After")) {
      assertThat(response.headers().firstValue("Retry-After")).as(label).isPresent();
    }
  }

  private static JsonNode ref(String schema) {
    ObjectNode node = EntityJson.MAPPER.createObjectNode();
    node.put("$ref", "#/components/schemas/" + schema);
    return node;
  }

  private static void validate(
      String label, String mediaType, JsonNode schema, HttpResponse<String> response) {
    if (!mediaType.endsWith("json")) {
      // text/plain (metrics) and text/html (dashboard): documented as strings
      assertThat(schema.path("type").asText()).as(label).isEqualTo("string");
      assertThat(response.body()).as(label + " body").isNotBlank();
      return;
    }
    JsonNode body;
    try {
      body = EntityJson.MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new AssertionError(label + ": body is not JSON: " + response.body(), e);
    }
    // The schema may refer to #/components/...: validate against a root that carries them.
    ObjectNode root = schema.deepCopy();
    root.set("components", DOCUMENT.get("components"));
    JsonSchema validator = SCHEMAS.getSchema(root);
    Set<ValidationMessage> errors = validator.validate(body);
    assertThat(errors).as(label + " (" + mediaType + ") body " + response.body()).isEmpty();
  }
}
