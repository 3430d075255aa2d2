package io.starfish.sharding.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.EntityJson;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;

/** Fingerprints of commands, to tell a retry under an idempotency key from a different command. */
final class CommandFingerprint {

  private CommandFingerprint() {}

  /**
   * SHA-256 (hex) of the JSON value with object members sorted by name at every level, so that the
   * same command written with its fields in another order has the same fingerprint.
   */
  static String of(JsonNode value) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(EntityJson.MAPPER.writeValueAsBytes(canonical(value)));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new IllegalStateException("cannot fingerprint a command", e);
    }
  }

  private static JsonNode canonical(JsonNode value) {
    if (value.isObject()) {
      ObjectNode sorted = EntityJson.MAPPER.createObjectNode();
      TreeMap<String, JsonNode> members = new TreeMap<>();
      value.properties().forEach(member -> members.put(member.getKey(), member.getValue()));
      members.forEach((name, member) -> sorted.set(name, canonical(member)));
      return sorted;
    }
    if (value.isArray()) {
      ArrayNode copy = EntityJson.MAPPER.createArrayNode();
      value.forEach(element -> copy.add(canonical(element)));
      return copy;
    }
    return value;
  }
}
