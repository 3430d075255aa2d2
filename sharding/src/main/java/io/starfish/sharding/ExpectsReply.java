package io.starfish.sharding;

/**
 * A command that, when accepted, answers with an {@code R} rather than the list of its events. The
 * command says what it answers, as a typed ask in Pekko does, and the compiler checks the handler's
 * answer against it: {@link Outcome#reply(ExpectsReply, Object)} and {@link
 * Outcome#persistWithReply(ExpectsReply, Object, Object[])} take only an {@code R} for such a
 * command, and {@code EntityTestKit.ask} gives the {@code R} back, typed.
 *
 * <pre>{@code
 * record Increment(long by) implements Command, ExpectsReply<Value> {}
 * ...
 * return Outcome.persistWithReply(increment, new Value(next), new Incremented(increment.by()));
 * }</pre>
 *
 * <p>Clients over HTTP receive the reply as JSON (the response's {@code reply}); it is rendered
 * with the same mapper as the state, so {@code R} should be a record of JSON-friendly fields.
 *
 * @param <R> the reply's type
 */
public interface ExpectsReply<R> {}
