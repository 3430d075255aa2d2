package io.starfish.runtime.evolution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads the ledger's version 1 {@code ledger.added} events ({@code {amount}}) as version 2's
 * ({@code {cents, currency}}): a field renamed, a required field added with a default. Registered
 * next to the entity ({@code EntityType.withMigration}), as docs/schema-evolution.md says.
 */
public final class AddedMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    ObjectNode node = (ObjectNode) json;
    if (fromVersion < 2) {
      node.set("cents", node.remove("amount"));
      node.put("currency", "EUR");
    }
    return node;
  }
}
