package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;

/**
 * Journal event: the entity was deleted. Its last event: the entity answers every message after it
 * with {@link io.starfish.sharding.EntityResult.Gone}. Like {@link KeyRecorded} it is Starfish's,
 * not the developer's; the developer's event handler never sees it.
 *
 * @param version the number of domain events the entity had applied
 * @param deletedAtMillis when it was deleted (epoch milliseconds)
 */
public record EntityDeleted(long version, long deletedAtMillis) implements CborSerializable {}
