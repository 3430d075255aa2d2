package io.starfish.runtime.evolution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads the ledger's version 1 events ({@code LedgerV1$Added {amount}}) as version 2's {@code
 * LedgerV2$Added {cents, currency}}: the class moved, a field was renamed, a required field was
 * added with a default. Registered under the old class name, as docs/schema-evolution.md says.
 */
public final class AddedMigration extends JacksonMigration {

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    return LedgerV2.Added.class.getName();
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
