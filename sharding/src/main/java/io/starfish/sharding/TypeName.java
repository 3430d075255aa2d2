package io.starfish.sharding;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The name under which an event record is stored, instead of the one derived from its simple class
 * name ({@code MoneyDeposited} is stored as {@code money-deposited}). The journal holds {@code
 * <entity type>.<name>#<version>}, never a Java class name, so moving a class to another package
 * changes nothing; to rename a class, keep its stored name here:
 *
 * <pre>{@code
 * @TypeName("deposited")   // was Deposited
 * public record FundsAdded(long amount) implements Event {}
 * }</pre>
 *
 * <p>docs/schema-evolution.md says which changes are compatible and how to migrate the others.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface TypeName {

  /** The stored name: lower case letters, digits and dashes, starting with a letter. */
  String value();
}
