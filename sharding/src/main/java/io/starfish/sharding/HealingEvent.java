package io.starfish.sharding;

import java.time.Instant;

/**
 * One step of a failure, as one node saw it: a member became unreachable, was downed, removed; its
 * shards were reallocated to this node; their entities recovered here.
 *
 * @param at when it happened, epoch milliseconds (for entity recovery: when the last of them
 *     finished recovering, not when the node noticed)
 * @param kind one of the constants below
 * @param member the cluster address of the member the step is about
 * @param detail what happened, for people
 * @param durationMs time since the step named by {@code durationFrom}, or null
 * @param durationFrom the kind of the earlier step the duration is measured from, or null
 */
public record HealingEvent(
    long at, String kind, String member, String detail, Long durationMs, String durationFrom) {

  public static final String MEMBER_UP = "member-up";
  public static final String MEMBER_UNREACHABLE = "member-unreachable";
  public static final String MEMBER_REACHABLE = "member-reachable";
  public static final String MEMBER_DOWNED = "member-downed";
  public static final String MEMBER_LEAVING = "member-leaving";
  public static final String MEMBER_REMOVED = "member-removed";
  public static final String SHARDS_REALLOCATED = "shards-reallocated";
  public static final String ENTITIES_RECOVERED = "entities-recovered";

  /** {@link #at} as an ISO-8601 instant. */
  public String time() {
    return Instant.ofEpochMilli(at).toString();
  }
}
