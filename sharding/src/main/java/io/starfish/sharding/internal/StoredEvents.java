package io.starfish.sharding.internal;

import io.starfish.persistence.CborSerializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.EventSeq;

/**
 * One declared entity's events on their way to and from the journal: its domain events are stored
 * under their logical names ({@link Stored}); Starfish's own records (idempotency keys, the
 * deletion marker) keep theirs. A stored event of a retired name that was split is applied as its
 * parts.
 */
final class StoredEvents extends EventAdapter<CborSerializable, Object> {

  private final StoredNames names;

  StoredEvents(StoredNames names) {
    this.names = names;
  }

  @Override
  public Object toJournal(CborSerializable event) {
    return names.stored(event);
  }

  @Override
  public String manifest(CborSerializable event) {
    return "";
  }

  @Override
  public EventSeq<CborSerializable> fromJournal(Object stored, String manifest) {
    List<CborSerializable> events = new ArrayList<>();
    for (Object event : SplitEvent.eventsIn(stored)) {
      events.add((CborSerializable) event);
    }
    return events.size() == 1 ? EventSeq.single(events.get(0)) : EventSeq.create(events);
  }
}
