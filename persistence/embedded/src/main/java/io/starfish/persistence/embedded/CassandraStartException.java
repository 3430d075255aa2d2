package io.starfish.persistence.embedded;

/** The embedded Cassandra could not be started; the message says why and what to do. */
public final class CassandraStartException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public CassandraStartException(String message) {
    super(message);
  }

  public CassandraStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
