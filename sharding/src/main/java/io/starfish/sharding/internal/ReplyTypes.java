package io.starfish.sharding.internal;

import io.starfish.sharding.ExpectsReply;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/** The reply type a command class declares with {@link ExpectsReply}. */
public final class ReplyTypes {

  private ReplyTypes() {}

  /**
   * The {@code R} of the {@code ExpectsReply<R>} that {@code commandClass} implements, directly or
   * through one of its interfaces, as a class.
   *
   * @throws IllegalArgumentException when it declares none, or {@code R} is not a plain class (a
   *     type variable or a generic type): then read the reply with {@code result.reply(R.class)}
   */
  public static <R> Class<R> of(Class<?> commandClass) {
    Class<?> found = find(commandClass);
    if (found == null) {
      throw new IllegalArgumentException(
          commandClass.getName()
              + " does not implement ExpectsReply<R> with R a class; read its reply with"
              + " run(command).reply(R.class)");
    }
    @SuppressWarnings("unchecked")
    Class<R> type = (Class<R>) found;
    return type;
  }

  private static Class<?> find(Class<?> type) {
    for (Type declared : type.getGenericInterfaces()) {
      if (declared instanceof ParameterizedType parameterized
          && parameterized.getRawType() == ExpectsReply.class) {
        Type argument = parameterized.getActualTypeArguments()[0];
        return argument instanceof Class<?> plain ? plain : null;
      }
      if (declared instanceof Class<?> plain && ExpectsReply.class.isAssignableFrom(plain)) {
        Class<?> inherited = find(plain);
        if (inherited != null) {
          return inherited;
        }
      }
    }
    return type.getSuperclass() == null ? null : find(type.getSuperclass());
  }
}
