package dev.freshet.compat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/** One SubscribeToShard call of the async client, collecting records until a count is reached. */
final class Subscription {
  private final List<Record> records = new CopyOnWriteArrayList<>();
  private final CompletableFuture<List<Record>> enough = new CompletableFuture<>();
  private volatile boolean initialResponse;
  private volatile SubscribeToShardEvent lastEvent;
  private CompletableFuture<Void> call;

  static Subscription start(KinesisAsyncClient client, String consumerArn, String shardId, StartingPosition position,
      int wanted) {
    Subscription subscription = new Subscription();
    SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
        .onResponse(response -> subscription.initialResponse = true)
        .onError(subscription.enough::completeExceptionally)
        .subscriber(SubscribeToShardResponseHandler.Visitor.builder().onSubscribeToShardEvent(event -> {
          subscription.records.addAll(event.records());
          subscription.lastEvent = event;
          if (subscription.records.size() >= wanted) subscription.enough.complete(List.copyOf(subscription.records));
        }).build())
        .build();
    subscription.call = client.subscribeToShard(r -> r.consumerARN(consumerArn).shardId(shardId)
        .startingPosition(position), handler);
    subscription.call.whenComplete((ok, error) -> {
      if (error != null) subscription.enough.completeExceptionally(error);
    });
    return subscription;
  }

  List<Record> awaitRecords(Duration timeout) throws Exception {
    try {
      return enough.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("SubscribeToShard delivered " + records.size() + " records in " + timeout, e);
    }
  }

  boolean initialResponseSeen() {
    return initialResponse;
  }

  SubscribeToShardEvent lastEvent() {
    return lastEvent;
  }

  void cancel() {
    call.cancel(true);
  }
}
