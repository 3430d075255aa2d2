package io.starfish.supervision;

/**
 * Thrown by an entity when handling a particular command failed, wrapping the cause: supervision
 * then knows which command to answer and to count towards quarantine even when the failure surfaces
 * later than the command's arrival (an event-sourced entity stashes commands while it recovers or
 * persists, and runs them while handling a journal reply).
 */
public final class CommandFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Object command;

  public CommandFailedException(Object command, Throwable cause) {
    super("command failed: " + cause, cause);
    this.command = command;
  }

  /** The entity message whose handling failed. */
  public Object command() {
    return command;
  }

  /** The CommandFailedException in {@code failure}'s cause chain, if there is one. */
  public static java.util.Optional<CommandFailedException> in(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof CommandFailedException found) {
        return java.util.Optional.of(found);
      }
    }
    return java.util.Optional.empty();
  }
}
