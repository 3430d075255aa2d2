package io.starfish.observability;

import java.time.Instant;

/**
 * One step of a failure, as one node saw it: a member became unreachable, was downed, removed; its
 * shards were reallocated to this node; their entities recovered here.
 *
 * @param at when it happened, epoch milliseconds (for entity recovery: when the last of them
 *     finished recovering, not when the node noticed)
 * @param kind what happened
 * @param member the cluster address of the member the step is about
 * @param detail what happened, for people
 * @param durationMs time since the step named by {@code durationFrom}, or null
 * @param durationFrom the kind of the earlier step the duration is measured from, or null
 */
public record HealingEvent(
    long at, Kind kind, String member, String detail, Long durationMs, Kind durationFrom) {

  /** The kinds of step, each with the name the HTTP API and the logs use. */
  public enum Kind {
    MEMBER_UP("member-up"),
    MEMBER_UNREACHABLE("member-unreachable"),
    MEMBER_REACHABLE("member-reachable"),
    MEMBER_DOWNED("member-downed"),
    MEMBER_LEAVING("member-leaving"),
    MEMBER_REMOVED("member-removed"),
    SHARDS_REALLOCATED("shards-reallocated"),
    ENTITIES_RECOVERED("entities-recovered");

    private final String wireName;

    Kind(String wireName) {
      this.wireName = wireName;
    }

    /** The name in the API ({@code "member-downed"}). */
    public String wireName() {
      return wireName;
    }

    @Override
    public String toString() {
      return wireName;
    }
  }

  /** {@link #at} as an ISO-8601 instant. */
  public String time() {
    return Instant.ofEpochMilli(at).toString();
  }
}
