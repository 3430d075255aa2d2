package io.starfish.http.internal;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Request bodies read to their end before the answer. A server that answers while the client is
 * still sending (an "early response") has to close the connection, and the bytes still in flight
 * make the kernel reset it: many clients, the JDK's among them, then never see the answer, only
 * "connection reset" or "received no bytes". So a body over the limit is read and dropped before
 * its 413, and an error answered without reading the body drains it first. Both are bounded by
 * Pekko's own {@code pekko.http.server.parsing.max-content-length}, past which Pekko fails the
 * stream and closes the connection itself.
 */
public final class RequestBodies extends AllDirectives {

  private static final RequestBodies D = new RequestBodies();

  private RequestBodies() {}

  /**
   * The body as UTF-8 text if it has at most {@code maxBytes}; otherwise the rest is read and
   * dropped, and {@code tooLarge} answers.
   */
  public static Route text(
      RequestEntity entity,
      long maxBytes,
      Function<String, Route> withText,
      Supplier<Route> tooLarge) {
    if (entity instanceof HttpEntity.Strict strict) {
      ByteString data = strict.getData();
      return data.size() > maxBytes
          ? tooLarge.get()
          : withText.apply(data.decodeString(StandardCharsets.UTF_8));
    }
    return D.extractMaterializer(
        materializer ->
            D.onComplete(
                readAtMost(entity, maxBytes, materializer),
                read -> {
                  if (read.isSuccess()) {
                    return read.get().isPresent()
                        ? withText.apply(read.get().get())
                        : tooLarge.get();
                  }
                  Throwable failure = read.failed().get();
                  return overPekkoLimit(failure)
                      ? tooLarge.get()
                      : D.reject(
                          Rejections.malformedRequestContent(
                              "the request body could not be read", failure));
                }));
  }

  /**
   * Runs {@code inner}; the answer goes out only once the request body has been read to its end: by
   * {@code inner}, by whoever discarded it there (Pekko's rejection handler discards without
   * waiting), or, if nobody touched it, here.
   */
  public static Route drainingUnread(Supplier<Route> inner) {
    return D.extractRequestEntity(
        entity -> {
          if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
            return inner.get();
          }
          AtomicReference<CompletionStage<Done>> reading = new AtomicReference<>();
          Source<ByteString, ?> data =
              entity
                  .getDataBytes()
                  .watchTermination(
                      (notUsed, done) -> {
                        reading.set(done);
                        return notUsed;
                      });
          OptionalLong length = entity.getContentLengthOption();
          RequestEntity watched =
              length.isPresent()
                  ? HttpEntities.create(entity.getContentType(), length.getAsLong(), data)
                  : HttpEntities.createChunked(entity.getContentType(), data);
          return D.extractMaterializer(
              materializer ->
                  D.mapRouteResultFuture(
                      result ->
                          result.thenCompose(
                              answer -> {
                                CompletionStage<Done> read = reading.get();
                                CompletionStage<Done> end =
                                    read != null
                                        ? read
                                        : entity.discardBytes(materializer).completionStage();
                                // A body over Pekko's limit fails; the answer goes out anyway.
                                return end.handle((done, failure) -> answer);
                              }),
                      () -> D.mapRequest(request -> request.withEntity(watched), inner)));
        });
  }

  private static boolean overPekkoLimit(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof EntityStreamSizeException) {
        return true;
      }
    }
    return false;
  }

  private static CompletionStage<Optional<String>> readAtMost(
      RequestEntity entity, long maxBytes, Materializer materializer) {
    try {
      return entity
          .getDataBytes()
          .runWith(
              Sink.fold(new Bounded(maxBytes), (bounded, chunk) -> bounded.add(chunk)),
              materializer)
          .thenApply(Bounded::text);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The bytes up to the limit; past it only whether it was exceeded. */
  private static final class Bounded {
    private final long maxBytes;
    private final ByteStringBuilder bytes = new ByteStringBuilder();
    private long size;

    Bounded(long maxBytes) {
      this.maxBytes = maxBytes;
    }

    Bounded add(ByteString chunk) {
      size += chunk.size();
      if (size <= maxBytes) {
        bytes.append(chunk);
      }
      return this;
    }

    Optional<String> text() {
      return size > maxBytes
          ? Optional.empty()
          : Optional.of(bytes.result().decodeString(StandardCharsets.UTF_8));
    }
  }
}
