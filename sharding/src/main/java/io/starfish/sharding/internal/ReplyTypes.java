package io.starfish.sharding.internal;

import io.starfish.sharding.ExpectsReply;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

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
    return find(type, java.util.Map.of());
  }

  /**
   * Searches {@code type}'s interfaces and superclass, with {@code bindings} the values of its own
   * type variables (so {@code Peek implements Query<Value>}, {@code Query<R> extends
   * ExpectsReply<R>} gives {@code Value}).
   */
  private static Class<?> find(
      Class<?> type, java.util.Map<java.lang.reflect.TypeVariable<?>, Type> bindings) {
    List<Type> supertypes = new ArrayList<>(List.of(type.getGenericInterfaces()));
    if (type.getGenericSuperclass() != null) {
      supertypes.add(type.getGenericSuperclass());
    }
    for (Type declared : supertypes) {
      if (declared instanceof ParameterizedType parameterized
          && parameterized.getRawType() instanceof Class<?> raw
          && ExpectsReply.class.isAssignableFrom(raw)) {
        Type[] arguments = parameterized.getActualTypeArguments();
        java.util.Map<java.lang.reflect.TypeVariable<?>, Type> resolved = new HashMap<>();
        for (int i = 0; i < arguments.length; i++) {
          Type argument = arguments[i];
          resolved.put(raw.getTypeParameters()[i], bindings.getOrDefault(argument, argument));
        }
        if (raw == ExpectsReply.class) {
          Type reply = resolved.get(raw.getTypeParameters()[0]);
          return reply instanceof Class<?> plain ? plain : null;
        }
        Class<?> inherited = find(raw, resolved);
        if (inherited != null) {
          return inherited;
        }
      } else if (declared instanceof Class<?> plain && ExpectsReply.class.isAssignableFrom(plain)) {
        Class<?> inherited = find(plain, java.util.Map.of());
        if (inherited != null) {
          return inherited;
        }
      }
    }
    return null;
  }
}
