package io.starfish.sharding;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Maps the JSON form of commands ({@code {"type": "deposit", "amount": 50}}) to command records and
 * back. Command names come from the records that a sealed command interface permits: {@code
 * Deposit} is {@code "deposit"}, {@code SetLimit} is {@code "setLimit"}; {@code @JsonTypeName}
 * overrides a name. Decoding is strict: unknown or missing fields, wrong JSON types, fractions for
 * integers and numbers out of range are errors with a message fit for an API client.
 */
public final class CommandCodec {

  /** A decoded command, or the reason the JSON is not a valid command. */
  public record Decoded(Object command, String error) {
    public boolean ok() {
      return error == null;
    }
  }

  private final Map<String, Class<?>> byName;
  private final boolean open;

  private CommandCodec(Map<String, Class<?>> byName, boolean open) {
    this.byName = Collections.unmodifiableMap(byName);
    this.open = open;
  }

  /** The codec of a sealed command interface whose permitted subclasses are records. */
  public static CommandCodec forSealed(Class<?> commandType) {
    Map<String, Class<?>> byName = new LinkedHashMap<>();
    collect(commandType, byName);
    if (byName.isEmpty()) {
      throw new IllegalArgumentException(commandType.getName() + " permits no command records");
    }
    return new CommandCodec(byName, false);
  }

  /**
   * For hand-written entity types: any JSON object with a string {@code "type"} is passed on, and
   * the entity itself decides whether it knows the command.
   */
  public static CommandCodec open() {
    return new CommandCodec(Map.of(), true);
  }

  /** Whether {@code commandClass} is one of the commands this codec reads (any, if open). */
  public boolean knows(Class<?> commandClass) {
    return open || byName.containsValue(commandClass);
  }

  private static void collect(Class<?> type, Map<String, Class<?>> byName) {
    if (type.isRecord()) {
      String name = nameOf(type);
      Class<?> previous = byName.put(name, type);
      if (previous != null) {
        throw new IllegalArgumentException(
            "two commands are named '" + name + "': " + previous.getName() + ", " + type.getName());
      }
      return;
    }
    if (!type.isSealed()) {
      throw new IllegalArgumentException(
          type.getName() + " must be a sealed interface of records (or a record)");
    }
    for (Class<?> permitted : type.getPermittedSubclasses()) {
      collect(permitted, byName);
    }
  }

  /** The JSON name of a command or event record. */
  public static String nameOf(Class<?> type) {
    JsonTypeName annotated = type.getAnnotation(JsonTypeName.class);
    if (annotated != null && !annotated.value().isEmpty()) {
      return annotated.value();
    }
    String simple = type.getSimpleName();
    return Character.toLowerCase(simple.charAt(0)) + simple.substring(1);
  }

  /** Command names this codec knows; empty for an open codec. */
  public Set<String> names() {
    return byName.keySet();
  }

  public boolean isOpen() {
    return open;
  }

  /** Decodes a command, or says precisely what is wrong with it. */
  public Decoded decode(JsonNode json) {
    return decode(json, false);
  }

  /**
   * Decodes a command that one of the entity's timers delivers: as {@link #decode}, {@link
   * TimerOnly} commands included.
   */
  public Decoded decodeTimer(JsonNode json) {
    return decode(json, true);
  }

  private Decoded decode(JsonNode json, boolean fromTimer) {
    if (json == null || !json.isObject()) {
      return error("the body must be a JSON object with a \"type\" field");
    }
    JsonNode type = json.get("type");
    if (type == null || type.isNull()) {
      return error("missing field \"type\" (the command name)" + known());
    }
    if (!type.isTextual()) {
      return error("field \"type\" must be a string" + known());
    }
    if (open) {
      return new Decoded(json, null);
    }
    Class<?> commandClass = byName.get(type.textValue());
    if (commandClass == null) {
      return error("unknown command \"" + abbreviate(type.textValue()) + "\"" + known());
    }
    if (!fromTimer && commandClass.isAnnotationPresent(TimerOnly.class)) {
      return error(
          "command \"" + type.textValue() + "\" is sent only by the entity's own timers" + known());
    }
    ObjectNode fields = ((ObjectNode) json).deepCopy();
    fields.remove("type");
    // Jackson fills an absent primitive record component with 0; a command with a field left
    // out must be refused instead, so presence is checked here.
    for (var component : commandClass.getRecordComponents()) {
      JsonNode value = fields.get(component.getName());
      if (value == null || value.isNull()) {
        return error(
            "missing field \""
                + component.getName()
                + "\" in command \""
                + nameOf(commandClass)
                + "\"");
      }
    }
    try {
      return new Decoded(EntityJson.COMMANDS.treeToValue(fields, commandClass), null);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return error(describe(e, commandClass));
    }
  }

  /** The JSON form of a command: its fields plus {@code "type"}. */
  public static ObjectNode encode(Object command) {
    ObjectNode node = EntityJson.MAPPER.createObjectNode();
    node.put("type", nameOf(command.getClass()));
    node.setAll((ObjectNode) EntityJson.MAPPER.valueToTree(command));
    return node;
  }

  private String known() {
    return open
        ? ""
        : "; known commands: "
            + String.join(
                ", ",
                byName.entrySet().stream()
                    .filter(e -> !e.getValue().isAnnotationPresent(TimerOnly.class))
                    .map(Map.Entry::getKey)
                    .toList());
  }

  private static Decoded error(String reason) {
    return new Decoded(null, reason);
  }

  private static String describe(Exception e, Class<?> commandClass) {
    String command = "command \"" + nameOf(commandClass) + "\"";
    if (e instanceof UnrecognizedPropertyException unknown) {
      List<String> fields = new ArrayList<>();
      for (var component : commandClass.getRecordComponents()) {
        fields.add(component.getName());
      }
      return "unknown field \""
          + abbreviate(unknown.getPropertyName())
          + "\" in "
          + command
          + "; its fields: "
          + (fields.isEmpty() ? "(none)" : String.join(", ", fields));
    }
    String field = e instanceof JsonMappingException m ? fieldPath(m) : "";
    if (e instanceof ValueInstantiationException invalid && invalid.getCause() != null) {
      return "invalid " + command + ": " + invalid.getCause().getMessage();
    }
    if (e instanceof InvalidFormatException invalidFormat) {
      return "field \""
          + field
          + "\" of "
          + command
          + " is out of range or of the wrong type"
          + expected(invalidFormat);
    }
    if (e instanceof InputCoercionException) {
      return "field \"" + field + "\" of " + command + " is out of range";
    }
    if (e instanceof MismatchedInputException mismatch) {
      String message = String.valueOf(mismatch.getOriginalMessage());
      if (message.startsWith("Missing required creator property")
          || message.contains("Null value for creator property")
          || message.startsWith("Cannot map `null` into type")) {
        return "missing field \"" + field + "\" in " + command;
      }
      if (mismatch.getCause() instanceof InputCoercionException
          || message.contains("out of range")) {
        return "field \"" + field + "\" of " + command + " is out of range";
      }
      return "field \"" + field + "\" of " + command + " has the wrong type" + expected(mismatch);
    }
    if (e instanceof JsonMappingException m && m.getCause() instanceof InputCoercionException) {
      return "field \"" + field + "\" of " + command + " is out of range";
    }
    return "invalid " + command;
  }

  private static String expected(MismatchedInputException mismatch) {
    Class<?> target = mismatch.getTargetType();
    if (target == null) {
      return "";
    }
    if (target == long.class
        || target == int.class
        || target == Long.class
        || target == Integer.class
        || target == short.class
        || target == Short.class) {
      return " (expected an integer)";
    }
    if (target == double.class || target == Double.class || target == java.math.BigDecimal.class) {
      return " (expected a number)";
    }
    if (target == boolean.class || target == Boolean.class) {
      return " (expected true or false)";
    }
    if (target == String.class) {
      return " (expected a string)";
    }
    return "";
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(
            ref ->
                ref.getFieldName() != null
                    ? ref.getFieldName()
                    : ref.getIndex() >= 0 ? "[" + ref.getIndex() + "]" : "?")
        .map(CommandCodec::abbreviate)
        .collect(Collectors.joining("."));
  }

  /**
   * The first 64 characters of client input, "..." if there were more; "" for null. Echoing client
   * input back must not let a client make responses or logs arbitrarily big. Public so that the
   * HTTP API echoes with the same limit.
   */
  public static String abbreviate(String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
