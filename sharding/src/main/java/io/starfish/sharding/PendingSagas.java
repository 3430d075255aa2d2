package io.starfish.sharding;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The sagas of one type that still have a step to take, cluster-wide.
 *
 * @param type the saga type
 * @param pending the pending ones, by id
 * @param complete false when some shard region or saga did not answer in time: the list may then
 *     miss some (ask again)
 * @param unanswered what did not answer (node addresses or saga ids), for the operator
 */
public record PendingSagas(
    String type, List<PendingSaga> pending, boolean complete, List<String> unanswered) {

  /** One pending saga, as {@code GET /api/v1/entities/{type}/{id}} would show it. */
  public record PendingSaga(String id, long version, JsonNode state) {}
}
