package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;

/**
 * Journal record: the timer {@code timerId} (schedule {@code seq}) fired, written in the same
 * atomic write as the events its command produced. Its absence from the pending timers is what
 * makes a second delivery of the same firing a no-op.
 *
 * @param rejection why its command was refused; null when it was applied
 */
public record TimerFired(String timerId, long seq, long firedAtMillis, String rejection)
    implements CborSerializable {}
