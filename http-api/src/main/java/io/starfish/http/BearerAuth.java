package io.starfish.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/** Checks an {@code Authorization: Bearer <token>} header against the configured token. */
final class BearerAuth {

  private BearerAuth() {}

  /**
   * The entity API's optional token (starfish.http.api-token): {@code inner} when no token is set
   * or the request carries it; otherwise the 401/403 problem. {@code what} names the API.
   */
  static Route apiTokenIfSet(
      HttpSettings settings, String what, String instance, Supplier<Route> inner) {
    if (settings.apiToken().isEmpty()) {
      return inner.get();
    }
    return Directives.optionalHeaderValueByType(
        Authorization.class,
        header -> {
          Optional<Problem> problem =
              check(header.map(Authorization::value), settings.apiToken().get(), what);
          return problem.isPresent()
              ? Directives.complete(
                  problem.get().toResponse(instance, settings.retryAfterSeconds()))
              : inner.get();
        });
  }

  /**
   * Empty if {@code authorization} carries {@code token}; otherwise the problem to answer: 401
   * without the header, 403 with another token. {@code what} names the API in the message.
   */
  static Optional<Problem> check(Optional<String> authorization, String token, String what) {
    if (authorization.isEmpty()) {
      return Optional.of(
          Problem.of(
              "unauthorized",
              "Unauthorized",
              401,
              "the " + what + " needs the header Authorization: Bearer <token>"));
    }
    String presented = authorization.get().strip();
    String expected = "Bearer " + token;
    // Constant-time comparison: the token is a secret.
    if (!MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
      return Optional.of(Problem.of("forbidden", "Forbidden", 403, "wrong token for the " + what));
    }
    return Optional.empty();
  }
}
