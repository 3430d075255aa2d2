package io.starfish.sharding.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.CommandCodec;
import io.starfish.sharding.EntityJson;
import io.starfish.sharding.Outcome;

/** How a declared entity's state and replies are rendered for clients (JSON). */
final class EntityRendering {

  private EntityRendering() {}

  static JsonNode render(Object value) {
    return EntityJson.MAPPER.valueToTree(value);
  }

  /** The command's reply: the handler's own, or else the events it persisted. */
  static JsonNode reply(Outcome.Persist<?> persist) {
    if (persist.reply() != null) {
      return render(persist.reply());
    }
    ObjectNode reply = EntityJson.MAPPER.createObjectNode();
    ArrayNode events = reply.putArray("events");
    for (Object event : persist.events()) {
      events.add(CommandCodec.encode(event));
    }
    return reply;
  }
}
