package io.starfish.sharding;

import java.util.regex.Pattern;

/** Entity ids of the API contract: 1 to 128 characters of {@code [A-Za-z0-9._:-]}. */
public final class EntityIds {

  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

  private EntityIds() {}

  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }
}
