package io.starfish.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The public API never exposes an internal type: no public or protected member of a public class
 * outside an {@code .internal} package names a type from one (in its parameters, results, fields,
 * supertypes or their type arguments). Internal packages can then change without breaking users.
 */
class PublicApiBoundaryTest {

  @Test
  void noPublicSignatureNamesAnInternalType() throws Exception {
    List<String> leaks = new ArrayList<>();
    int checked = 0;
    for (Class<?> type : StarfishClasses.mainClasses()) {
      if (isInternal(type) || !isVisible(type)) {
        continue;
      }
      checked++;
      check(type + " extends", type.getGenericSuperclass(), leaks);
      for (Type implemented : type.getGenericInterfaces()) {
        check(type + " implements", implemented, leaks);
      }
      for (Method method : type.getDeclaredMethods()) {
        if (exposed(method.getModifiers()) && !method.isSynthetic()) {
          check(method.toString(), method.getGenericReturnType(), leaks);
          for (Type parameter : method.getGenericParameterTypes()) {
            check(method.toString(), parameter, leaks);
          }
        }
      }
      for (Constructor<?> constructor : type.getDeclaredConstructors()) {
        if (exposed(constructor.getModifiers()) && !constructor.isSynthetic()) {
          for (Type parameter : constructor.getGenericParameterTypes()) {
            check(constructor.toString(), parameter, leaks);
          }
        }
      }
      for (Field field : type.getDeclaredFields()) {
        if (exposed(field.getModifiers()) && !field.isSynthetic()) {
          check(field.toString(), field.getGenericType(), leaks);
        }
      }
    }
    assertThat(checked).as("public classes checked").isGreaterThan(50);
    assertThat(leaks).as("public signatures naming internal types").isEmpty();
  }

  private static boolean isInternal(Class<?> type) {
    return type.getPackageName().contains(".internal");
  }

  /** Public, and reachable from outside: a nested class only if every enclosing one is too. */
  private static boolean isVisible(Class<?> type) {
    for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
      if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass()) {
        return false;
      }
    }
    return true;
  }

  private static boolean exposed(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static void check(String where, Type type, List<String> leaks) {
    for (Class<?> named : classesIn(type, new HashSet<>())) {
      if (named.getName().startsWith("io.starfish.") && isInternal(named)) {
        leaks.add(where + " names " + named.getName());
      }
    }
  }

  private static Set<Class<?>> classesIn(Type type, Set<Type> seen) {
    Set<Class<?>> classes = new HashSet<>();
    if (type == null || !seen.add(type)) {
      return classes;
    }
    if (type instanceof Class<?> c) {
      classes.add(c.isArray() ? c.getComponentType() : c);
    } else if (type instanceof ParameterizedType p) {
      classes.addAll(classesIn(p.getRawType(), seen));
      for (Type argument : p.getActualTypeArguments()) {
        classes.addAll(classesIn(argument, seen));
      }
    } else if (type instanceof GenericArrayType a) {
      classes.addAll(classesIn(a.getGenericComponentType(), seen));
    } else if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        classes.addAll(classesIn(bound, seen));
      }
      for (Type bound : w.getLowerBounds()) {
        classes.addAll(classesIn(bound, seen));
      }
    } else if (type instanceof TypeVariable<?> v) {
      for (Type bound : v.getBounds()) {
        classes.addAll(classesIn(bound, seen));
      }
    }
    return classes;
  }
}
