package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;

/** Journal record: the pending timer {@code timerId} (schedule {@code seq}) was cancelled. */
public record TimerCancelled(String timerId, long seq) implements CborSerializable {}
