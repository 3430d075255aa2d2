package io.starfish.observability;

/**
 * Published on the actor system's event stream by the node whose split-brain resolver downs a
 * member, so that this node's healing timeline can say which strategy and decision downed it.
 *
 * @param member the downed member's address
 * @param strategy the resolver's strategy, e.g. "keep-majority"
 * @param decision Pekko's decision, e.g. "DownUnreachable"
 */
public record DowningDecision(String member, String strategy, String decision) {}
