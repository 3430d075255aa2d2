package io.starfish.supervision.internal;

import io.starfish.supervision.CommandInspector;
import io.starfish.supervision.FailureStatistics;

/**
 * What the supervision interceptors around one entity share: who it is, how to read its messages,
 * its failure memory (which outlives restarts) and where failures are counted.
 */
public record EntityScope<M>(
    String entityType,
    String entityId,
    Class<M> messageClass,
    FailureMemory memory,
    CommandInspector<M> inspector,
    FailureStatistics statistics) {

  /** "type/id", for logs. */
  public String entity() {
    return entityType + "/" + entityId;
  }
}
