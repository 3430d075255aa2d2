package io.starfish.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starfish.sharding.CommandCodec;
import io.starfish.views.View;
import io.starfish.views.Views;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/views}: the declared views; {@code GET /api/v1/views/{view}?...}: a page of a
 * view's rows, filtered by the view's group parameter ({@code ?status=pending}) and/or its rank
 * ({@code ?min=&max=}), {@code limit} rows from {@code cursor} on.
 */
public final class ViewRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(ViewRoutes.class);

  private final Views views;
  private final HttpSettings settings;

  public ViewRoutes(Views views, HttpSettings settings) {
    this.views = views;
    this.settings = settings;
  }

  public Route route() {
    return pathPrefix(
        PathMatchers.segment("api").slash("v1").slash("views"),
        () ->
            extractUri(
                uri ->
                    BearerAuth.apiTokenIfSet(
                        settings,
                        "entity API",
                        uri.path(),
                        () ->
                            get(
                                () ->
                                    concat(
                                        pathEndOrSingleSlash(
                                            () -> complete(JsonResponses.ok(listing()))),
                                        path(
                                            PathMatchers.segment(),
                                            name ->
                                                parameterMap(
                                                    params -> page(name, params, uri.path()))))))));
  }

  private ObjectNode listing() {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    ArrayNode list = body.putArray("views");
    for (View<?, ?> view : views.all()) {
      ObjectNode entry = list.addObject();
      entry.put("name", view.name());
      entry.put("source", view.sourceType());
      if (view.groupParameter().isPresent()) {
        entry.put("groupedBy", view.groupParameter().get());
      } else {
        entry.putNull("groupedBy");
      }
      entry.put("ranged", view.isRanged());
    }
    return body;
  }

  private Route page(String name, Map<String, String> params, String instance) {
    Optional<View<?, ?>> found = views.find(name);
    if (found.isEmpty()) {
      return problem(
          Problem.of(
              "view-not-found",
              "No such view",
              404,
              "no view \""
                  + CommandCodec.abbreviate(name)
                  + "\"; views: "
                  + String.join(", ", views.all().stream().map(View::name).toList())),
          instance);
    }
    View<?, ?> view = found.get();
    Views.Query query;
    try {
      query = query(view, params);
    } catch (IllegalArgumentException e) {
      return problem(invalidQuery(e.getMessage()), instance);
    }
    try {
      return completeWithFuture(
          views
              .query(view, query)
              .thenApply(p -> JsonResponses.ok(body(view, p)))
              .exceptionally(failure -> storageUnavailable(view, instance, failure)));
    } catch (IllegalArgumentException e) {
      return problem(invalidQuery(e.getMessage()), instance);
    } catch (IllegalStateException e) { // validated, but views do not run here
      return problem(
          Problem.unavailable("views do not run on this node: " + e.getMessage()), instance);
    }
  }

  /** The query the parameters ask for; IllegalArgumentException naming the bad one. */
  private static Views.Query query(View<?, ?> view, Map<String, String> params) {
    List<String> allowed = new ArrayList<>(List.of("limit", "cursor"));
    view.groupParameter().ifPresent(allowed::add);
    if (view.isRanged()) {
      allowed.addAll(List.of("min", "max"));
    }
    for (String key : params.keySet()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            "unknown parameter \""
                + CommandCodec.abbreviate(key)
                + "\"; view \""
                + view.name()
                + "\" takes "
                + String.join(", ", allowed));
      }
    }
    Optional<String> group = view.groupParameter().map(params::get);
    if (group.isPresent() && group.get().isEmpty()) {
      throw new IllegalArgumentException(view.groupParameter().get() + " must not be empty");
    }
    return new Views.Query(
        group,
        number(params, "min"),
        number(params, "max"),
        number(params, "limit"),
        Optional.ofNullable(params.get("cursor")));
  }

  private static OptionalLong number(Map<String, String> params, String name) {
    String text = params.get(name);
    if (text == null) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " must be a whole number, got \"" + CommandCodec.abbreviate(text) + "\"");
    }
  }

  private static ObjectNode body(View<?, ?> view, Views.Page page) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("view", view.name());
    ArrayNode rows = body.putArray("rows");
    for (Views.Row row : page.rows()) {
      rows.addObject().put("id", row.id()).set("row", row.row());
    }
    if (page.next().isPresent()) {
      body.put("next", page.next().get());
    } else {
      body.putNull("next");
    }
    return body;
  }

  private HttpResponse storageUnavailable(View<?, ?> view, String instance, Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof IllegalArgumentException bad) {
      return invalidQuery(bad.getMessage()).toResponse(instance, settings.retryAfterSeconds());
    }
    log.warn("reading view {} failed: {}", view.name(), cause.toString());
    return Problem.unavailable("the view could not be read; retry later")
        .toResponse(instance, settings.retryAfterSeconds());
  }

  private static Problem invalidQuery(String detail) {
    return Problem.of("invalid-query", "Invalid query", 400, detail);
  }

  private Route problem(Problem problem, String instance) {
    return complete(problem.toResponse(instance, settings.retryAfterSeconds()));
  }
}
