package io.starfish.persistence;

/**
 * Marker for everything Starfish persists or sends between nodes: events, snapshots and entity
 * replies. It is bound to Pekko's Jackson CBOR serializer in this module's reference.conf, so a
 * type that implements it needs no further serialization setup. Use Java records.
 */
public interface CborSerializable {}
