package io.starfish.sharding;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A command record that only the entity's own timers send ({@link Outcome.Persist#andSchedule}): a
 * client sending it gets 400, as for an unknown command.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface TimerOnly {}
