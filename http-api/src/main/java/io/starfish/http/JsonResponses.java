package io.starfish.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.starfish.sharding.EntityJson;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** Responses with a JSON body: a record (or a tree) written by the entity API's mapper. */
final class JsonResponses {

  private JsonResponses() {}

  static HttpResponse ok(Object body) {
    return status(StatusCodes.OK, body);
  }

  static HttpResponse status(StatusCode status, Object body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(ContentTypes.APPLICATION_JSON, bytes(body));
  }

  /** The body as JSON bytes, for responses built otherwise (streamed, problem+json). */
  static byte[] bytes(Object body) {
    try {
      return EntityJson.MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a response body failed to serialize", e);
    }
  }
}
