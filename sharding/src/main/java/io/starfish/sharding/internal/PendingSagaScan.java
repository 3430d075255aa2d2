package io.starfish.sharding.internal;

import io.starfish.sharding.EntityGateway;
import io.starfish.sharding.EntityMessage;
import io.starfish.sharding.EntityResult;
import io.starfish.sharding.PendingSagas;
import io.starfish.sharding.SagaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Finds the pending sagas of one type, cluster-wide. A pending saga is always running (it is never
 * passivated mid-way and remember-entities restarts it after a failover), so it is found by asking
 * every node's shard region for its running entities and each running saga for its state. The cost
 * grows with the number of running sagas; a read-side view is the scalable way (issue 21).
 */
public final class PendingSagaScan {

  private final ShardQueries shards;
  private final EntityGateway gateway;

  public PendingSagaScan(ShardQueries shards, EntityGateway gateway) {
    this.shards = shards;
    this.gateway = gateway;
  }

  public CompletionStage<PendingSagas> scan(SagaType<?, ?, ?> saga, Duration timeout) {
    String type = saga.name();
    return shards
        .clusterStats(type, timeout)
        .thenCompose(
            clusterStats -> {
              List<String> unanswered = new CopyOnWriteArrayList<>();
              List<CompletableFuture<Set<String>>> perRegion = new ArrayList<>();
              clusterStats
                  .getRegions()
                  .keySet()
                  .forEach(
                      address ->
                          perRegion.add(
                              shards
                                  .runningEntities(address, type, timeout)
                                  .exceptionally(
                                      failure -> {
                                        unanswered.add(address.toString());
                                        return Set.of();
                                      })
                                  .toCompletableFuture()));
              return CompletableFuture.allOf(perRegion.toArray(CompletableFuture[]::new))
                  .thenCompose(
                      done -> {
                        Set<String> ids = new TreeSet<>();
                        perRegion.forEach(future -> ids.addAll(future.join()));
                        return pendingAmong(saga, ids, timeout, unanswered);
                      });
            });
  }

  private CompletionStage<PendingSagas> pendingAmong(
      SagaType<?, ?, ?> saga, Set<String> ids, Duration timeout, List<String> unanswered) {
    String type = saga.name();
    Map<String, CompletableFuture<EntityResult>> states = new TreeMap<>();
    for (String id : ids) {
      states.put(
          id,
          gateway
              .ask(type, id, EntityMessage.GetState::new, timeout)
              .toCompletableFuture()
              .exceptionally(failure -> null));
    }
    return CompletableFuture.allOf(states.values().toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<PendingSagas.PendingSaga> pending = new ArrayList<>();
              states.forEach(
                  (id, future) -> {
                    EntityResult result = future.join();
                    if (result instanceof EntityResult.Current current) {
                      if (saga.isPending(id, current.state()).orElse(true)) {
                        pending.add(
                            new PendingSagas.PendingSaga(id, current.version(), current.state()));
                      }
                    } else {
                      unanswered.add(type + "/" + id);
                    }
                  });
              List<String> missing = List.copyOf(unanswered);
              return new PendingSagas(type, pending, missing.isEmpty(), missing);
            });
  }
}
