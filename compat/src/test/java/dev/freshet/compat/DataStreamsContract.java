package dev.freshet.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.kinesis.model.*;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Every Data Streams operation through the AWS SDK for Java v2, with its edge cases, against a real
 * Freshet. Subclasses choose the wire format (CBOR, the SDK's default, or JSON) and prove it was used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class DataStreamsContract {
  private static final int MIB = 1024 * 1024;

  ServerProcess freshet;
  KinesisClient kinesis;
  KinesisAsyncClient kinesisAsync;
  /** The SDK's waiters, polling every 100 ms instead of every 10 s: statuses change within milliseconds here. */
  KinesisWaiter waiter;
  final Clients.ContentTypes contentTypes = new Clients.ContentTypes();
  private final AtomicInteger streams = new AtomicInteger();

  /** The Content-Type every request of this class must carry. */
  abstract String expectedContentType();

  @BeforeAll
  void startFreshet() throws Exception {
    freshet = ServerProcess.freshet(getClass().getSimpleName());
    kinesis = Clients.kinesis(freshet.endpoint(), contentTypes);
    kinesisAsync = Clients.kinesisAsync(freshet.endpoint(), contentTypes);
    waiter = KinesisWaiter.builder().client(kinesis).overrideConfiguration(o -> o.maxAttempts(600)
        .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(100)))).build();
  }

  @AfterAll
  void stopFreshet() throws Exception {
    if (waiter != null) waiter.close();
    if (kinesis != null) kinesis.close();
    if (kinesisAsync != null) kinesisAsync.close();
    if (freshet != null) freshet.close();
    assertTrue(contentTypes.seen.size() > 39, "fewer requests than operations were seen");
    // SubscribeToShard is always JSON: the SDK frames event streams only in awsJson.
    Map<Boolean, Set<String>> bySubscribe = contentTypes.seen.stream().collect(Collectors.partitioningBy(
        seen -> seen.startsWith("SubscribeToShard "), Collectors.mapping(seen -> seen.substring(seen.indexOf(' ') + 1),
            Collectors.toSet())));
    assertEquals(Set.of(expectedContentType()), bySubscribe.get(false), "the wire format the SDK spoke");
    assertEquals(Set.of("application/x-amz-json-1.1"), bySubscribe.get(true), "SubscribeToShard's wire format");
    Set<String> operations = contentTypes.seen.stream().map(seen -> seen.substring(0, seen.indexOf(' ')))
        .collect(Collectors.toSet());
    assertEquals(39, operations.size(), "every Data Streams operation was called: " + new java.util.TreeSet<>(operations));
  }

  String newStream(int shards) {
    String name = "java-" + getClass().getSimpleName() + "-" + streams.incrementAndGet();
    kinesis.createStream(r -> r.streamName(name).shardCount(shards));
    waiter.waitUntilStreamExists(r -> r.streamName(name));
    return name;
  }

  String arnOf(String stream) {
    return kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamARN();
  }

  static void assertNear(Instant expected, Instant actual, Duration tolerance, String what) {
    assertNotNull(actual, what);
    assertTrue(Duration.between(expected, actual).abs().compareTo(tolerance) <= 0,
        what + " was " + actual + ", expected near " + expected + " (a unit mistake lands decades away)");
  }

  List<Record> readAll(String stream, String shardId, int expected) {
    String iterator = kinesis.getShardIterator(r -> r.streamName(stream).shardId(shardId)
        .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    List<Record> records = new ArrayList<>();
    for (int calls = 0; records.size() < expected && iterator != null && calls < 100; calls++) {
      String current = iterator;
      GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(current));
      records.addAll(page.records());
      iterator = page.nextShardIterator();
    }
    return records;
  }

  @Test
  void createDescribeListAndDeleteWithWaitersAndPaginators() {
    Instant before = Instant.now();
    List<String> names = IntStream.range(0, 3).mapToObj(i -> newStream(1)).toList();

    StreamDescription description = kinesis.describeStream(r -> r.streamName(names.get(0))).streamDescription();
    assertEquals(StreamStatus.ACTIVE, description.streamStatus());
    assertEquals(1, description.shards().size());
    assertEquals("0", description.shards().get(0).hashKeyRange().startingHashKey());
    assertEquals(BigInteger.TWO.pow(128).subtract(BigInteger.ONE).toString(),
        description.shards().get(0).hashKeyRange().endingHashKey());
    assertNear(before, description.streamCreationTimestamp(), Duration.ofMinutes(2), "StreamCreationTimestamp");

    StreamDescriptionSummary summary = kinesis.describeStreamSummary(r -> r.streamName(names.get(0)))
        .streamDescriptionSummary();
    assertEquals(24, summary.retentionPeriodHours());
    assertEquals(1, summary.openShardCount());
    assertTrue(summary.streamARN().endsWith(":stream/" + names.get(0)), summary.streamARN());
    assertNear(before, summary.streamCreationTimestamp(), Duration.ofMinutes(2), "StreamCreationTimestamp");

    // One stream a page: the paginator follows NextToken (and HasMoreStreams) to the end.
    List<String> listed = kinesis.listStreamsPaginator(r -> r.limit(1)).streamNames().stream().toList();
    assertTrue(listed.containsAll(names), listed.toString());
    assertEquals(listed.size(), new HashSet<>(listed).size(), "a stream listed twice: " + listed);
    List<String> summaries = kinesis.listStreamsPaginator(r -> r.limit(2)).streamSummaries().stream()
        .map(StreamSummary::streamName).toList();
    assertEquals(listed, summaries);

    kinesis.deleteStream(r -> r.streamName(names.get(1)));
    WaiterResponse<DescribeStreamResponse> gone =
        waiter.waitUntilStreamNotExists(r -> r.streamName(names.get(1)));
    assertTrue(gone.matched().exception().isPresent(), "streamNotExists ends on ResourceNotFoundException");
    assertFalse(kinesis.listStreams().streamNames().contains(names.get(1)));
  }

  @Test
  void putAndGetRecordsKeepBytesOrderAndTimestamps() {
    String stream = newStream(2);
    Instant before = Instant.now();
    byte[] empty = new byte[0];
    PutRecordResponse first = kinesis.putRecord(r -> r.streamName(stream).partitionKey("a")
        .explicitHashKey("0").data(SdkBytes.fromByteArray(empty)));
    assertEquals("shardId-000000000000", first.shardId());

    List<PutRecordsRequestEntry> entries = IntStream.range(0, 500)
        .mapToObj(i -> PutRecordsRequestEntry.builder().partitionKey("key-" + i)
            .data(SdkBytes.fromString("record " + i, StandardCharsets.UTF_8)).build())
        .toList();
    PutRecordsResponse batch = kinesis.putRecords(r -> r.streamName(stream).records(entries));
    assertEquals(0, batch.failedRecordCount());
    assertEquals(500, batch.records().size());
    Map<String, List<BigInteger>> bySHard = batch.records().stream().collect(Collectors.groupingBy(
        PutRecordsResultEntry::shardId, Collectors.mapping(e -> new BigInteger(e.sequenceNumber()), Collectors.toList())));
    assertEquals(2, bySHard.size(), "500 partition keys land on both shards");

    List<Record> shard0 = readAll(stream, "shardId-000000000000", 1 + bySHard.get("shardId-000000000000").size());
    assertEquals(1 + bySHard.get("shardId-000000000000").size(), shard0.size());
    Record emptyRecord = shard0.get(0);
    assertEquals(first.sequenceNumber(), emptyRecord.sequenceNumber());
    assertEquals(0, emptyRecord.data().asByteArray().length, "an empty blob comes back empty");
    assertNear(before, emptyRecord.approximateArrivalTimestamp(), Duration.ofMinutes(2), "ApproximateArrivalTimestamp");
    for (int i = 1; i < shard0.size(); i++) {
      assertTrue(new BigInteger(shard0.get(i - 1).sequenceNumber()).compareTo(new BigInteger(shard0.get(i).sequenceNumber())) < 0,
          "sequence numbers increase along the shard");
      assertTrue(shard0.get(i).data().asUtf8String().startsWith("record "));
    }

    // AT_TIMESTAMP with an Instant read from a record: that record (or one that arrived in the same ms) comes first.
    Record middle = shard0.get(shard0.size() / 2);
    String atTimestamp = kinesis.getShardIterator(r -> r.streamName(stream).shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(middle.approximateArrivalTimestamp())).shardIterator();
    List<Record> fromTimestamp = kinesis.getRecords(r -> r.shardIterator(atTimestamp).limit(10000)).records();
    assertFalse(fromTimestamp.isEmpty());
    assertTrue(fromTimestamp.stream().anyMatch(rec -> rec.sequenceNumber().equals(middle.sequenceNumber())));
    assertFalse(fromTimestamp.get(0).approximateArrivalTimestamp().isAfter(middle.approximateArrivalTimestamp()));
    assertTrue(fromTimestamp.size() < shard0.size() || shard0.get(0).approximateArrivalTimestamp()
        .equals(middle.approximateArrivalTimestamp()));

    String afterSequence = kinesis.getShardIterator(r -> r.streamName(stream).shardId("shardId-000000000000")
        .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(first.sequenceNumber()))
        .shardIterator();
    GetRecordsResponse page = kinesis.getRecords(r -> r.shardIterator(afterSequence).limit(3));
    assertEquals(3, page.records().size());
    assertEquals(shard0.get(1).sequenceNumber(), page.records().get(0).sequenceNumber());
    assertNotNull(page.millisBehindLatest());

    String latest = kinesis.getShardIterator(r -> r.streamName(stream).shardId("shardId-000000000001")
        .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
    GetRecordsResponse atTip = kinesis.getRecords(r -> r.shardIterator(latest));
    assertTrue(atTip.records().isEmpty());
    assertEquals(0L, atTip.millisBehindLatest());
    assertNotNull(atTip.nextShardIterator());
  }

  @Test
  void largestRecordsRoundTripAtOneAndTenMebibytes() {
    String stream = newStream(1);
    byte[] oneMib = randomBytes(MIB - 1, 1);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(oneMib)));
    // The model lets a blob be 10 MiB; the stream's own limit (1 MiB until raised) refuses it.
    InvalidArgumentException tooLarge = assertThrows(InvalidArgumentException.class, () -> kinesis.putRecord(r ->
        r.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(new byte[MIB]))));
    assertTrue(tooLarge.getMessage().contains("exceeds the maximum record size"), tooLarge.getMessage());

    kinesis.updateMaxRecordSize(r -> r.streamARN(arnOf(stream)).maxRecordSizeInKiB(10240));
    assertEquals(10240, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .maxRecordSizeInKiB());
    byte[] tenMib = randomBytes(10 * MIB - 1, 2);
    kinesis.putRecord(r -> r.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(tenMib)));

    List<Record> records = readAll(stream, "shardId-000000000000", 2);
    assertEquals(2, records.size());
    assertArrayEquals(oneMib, records.get(0).data().asByteArray());
    assertArrayEquals(tenMib, records.get(1).data().asByteArray());
  }

  private static byte[] randomBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  @Test
  void reshardingAndListShardsWithFiltersAndPaginator() {
    String stream = newStream(2);
    Instant created = Instant.now();
    String middle = BigInteger.TWO.pow(126).toString();
    kinesis.splitShard(r -> r.streamName(stream).shardToSplit("shardId-000000000000").newStartingHashKey(middle));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));
    kinesis.mergeShards(r -> r.streamName(stream).shardToMerge("shardId-000000000002")
        .adjacentShardToMerge("shardId-000000000003"));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));

    // ListShards has no paginator in the SDK: follow NextToken by hand, one shard a page.
    List<Shard> all = new ArrayList<>();
    ListShardsResponse page = kinesis.listShards(r -> r.streamName(stream).maxResults(1));
    all.addAll(page.shards());
    while (page.nextToken() != null) {
      String token = page.nextToken();
      page = kinesis.listShards(r -> r.nextToken(token).maxResults(1));
      all.addAll(page.shards());
    }
    assertEquals(List.of("shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
        "shardId-000000000003", "shardId-000000000004"), all.stream().map(Shard::shardId).toList());
    Shard merged = all.get(4);
    assertEquals("shardId-000000000002", merged.parentShardId());
    assertEquals("shardId-000000000003", merged.adjacentParentShardId());
    assertNotNull(all.get(0).sequenceNumberRange().endingSequenceNumber(), "a split parent is closed");

    List<String> open = shardIds(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AT_LATEST))));
    assertEquals(List.of("shardId-000000000001", "shardId-000000000004"), open);
    List<String> atHorizon = shardIds(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AT_TRIM_HORIZON))));
    assertEquals(List.of("shardId-000000000000", "shardId-000000000001"), atHorizon);
    List<String> fromHorizon = shardIds(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.FROM_TRIM_HORIZON))));
    assertEquals(5, fromHorizon.size());
    List<String> afterId = shardIds(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AFTER_SHARD_ID).shardId("shardId-000000000002"))));
    assertEquals(List.of("shardId-000000000003", "shardId-000000000004"), afterId);
    List<String> atCreation = shardIds(kinesis.listShards(r -> r.streamName(stream)
        .shardFilter(f -> f.type(ShardFilterType.AT_TIMESTAMP).timestamp(created.minusSeconds(60)))));
    assertEquals(List.of("shardId-000000000000", "shardId-000000000001"), atCreation);

    kinesis.updateShardCount(r -> r.streamName(stream).targetShardCount(4).scalingType(ScalingType.UNIFORM_SCALING));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));
    assertEquals(4, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .openShardCount());
  }

  private static List<String> shardIds(ListShardsResponse response) {
    return response.shards().stream().map(Shard::shardId).toList();
  }

  @Test
  void tagsRetentionMonitoringEncryptionPoliciesAndModes() {
    String stream = newStream(1);
    String arn = arnOf(stream);
    kinesis.addTagsToStream(r -> r.streamName(stream).tags(Map.of("team", "data", "env", "test")));
    kinesis.tagResource(r -> r.resourceARN(arn).tags(Map.of("cost", "42")));
    assertEquals(Map.of("team", "data", "env", "test", "cost", "42"), kinesis.listTagsForStream(r -> r.streamName(stream))
        .tags().stream().collect(Collectors.toMap(Tag::key, Tag::value)));
    kinesis.removeTagsFromStream(r -> r.streamName(stream).tagKeys("env"));
    kinesis.untagResource(r -> r.resourceARN(arn).tagKeys("cost"));
    assertEquals(List.of("team"), kinesis.listTagsForResource(r -> r.resourceARN(arn)).tags().stream()
        .map(Tag::key).toList());

    kinesis.increaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(48));
    assertEquals(48, kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary()
        .retentionPeriodHours());
    kinesis.decreaseStreamRetentionPeriod(r -> r.streamName(stream).retentionPeriodHours(24));

    EnableEnhancedMonitoringResponse enabled = kinesis.enableEnhancedMonitoring(r -> r.streamName(stream)
        .shardLevelMetrics(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS));
    assertEquals(Set.of(MetricsName.INCOMING_BYTES, MetricsName.OUTGOING_RECORDS),
        new HashSet<>(enabled.desiredShardLevelMetrics()));
    DisableEnhancedMonitoringResponse disabled = kinesis.disableEnhancedMonitoring(r -> r.streamName(stream)
        .shardLevelMetrics(MetricsName.ALL));
    assertTrue(disabled.desiredShardLevelMetrics().isEmpty());

    kinesis.startStreamEncryption(r -> r.streamName(stream).encryptionType(EncryptionType.KMS)
        .keyId("alias/aws/kinesis"));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));
    assertEquals(EncryptionType.KMS, kinesis.describeStreamSummary(r -> r.streamName(stream))
        .streamDescriptionSummary().encryptionType());
    PutRecordResponse encrypted = kinesis.putRecord(r -> r.streamName(stream).partitionKey("k")
        .data(SdkBytes.fromUtf8String("secret")));
    assertEquals(EncryptionType.KMS, encrypted.encryptionType());
    assertEquals("secret", readAll(stream, "shardId-000000000000", 1).get(0).data().asUtf8String());
    kinesis.stopStreamEncryption(r -> r.streamName(stream).encryptionType(EncryptionType.KMS)
        .keyId("alias/aws/kinesis"));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));

    String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
        + "\"arn:aws:iam::111122223333:root\"},\"Action\":\"kinesis:DescribeStreamSummary\",\"Resource\":\"" + arn + "\"}]}";
    kinesis.putResourcePolicy(r -> r.resourceARN(arn).policy(policy));
    assertTrue(kinesis.getResourcePolicy(r -> r.resourceARN(arn)).policy().contains("111122223333"));
    kinesis.deleteResourcePolicy(r -> r.resourceARN(arn));
    assertEquals("{}", kinesis.getResourcePolicy(r -> r.resourceARN(arn)).policy());

    kinesis.updateStreamMode(r -> r.streamARN(arn).streamModeDetails(d -> d.streamMode(StreamMode.ON_DEMAND)));
    waiter.waitUntilStreamExists(r -> r.streamName(stream));
    assertEquals(StreamMode.ON_DEMAND, kinesis.describeStreamSummary(r -> r.streamName(stream))
        .streamDescriptionSummary().streamModeDetails().streamMode());
    kinesis.updateStreamWarmThroughput(r -> r.streamARN(arn).warmThroughputMiBps(10));

    DescribeLimitsResponse limits = kinesis.describeLimits();
    assertTrue(limits.shardLimit() > 0);
    assertTrue(limits.onDemandStreamCountLimit() > 0);
    Instant beforeCommitment = Instant.now();
    kinesis.updateAccountSettings(r -> r.minimumThroughputBillingCommitment(c ->
        c.status(MinimumThroughputBillingCommitmentInputStatus.ENABLED)));
    MinimumThroughputBillingCommitmentOutput commitment = kinesis.describeAccountSettings(r -> {})
        .minimumThroughputBillingCommitment();
    assertEquals(MinimumThroughputBillingCommitmentOutputStatus.ENABLED, commitment.status());
    assertNear(beforeCommitment, commitment.startedAt(), Duration.ofMinutes(2), "StartedAt");
    assertNear(commitment.startedAt().plus(Duration.ofHours(24)), commitment.earliestAllowedEndAt(), Duration.ofMinutes(1),
        "EarliestAllowedEndAt");
  }

  @Test
  void errorsArriveAsTheSdksExceptionClasses() {
    String stream = newStream(1);
    ResourceNotFoundException missing = assertThrows(ResourceNotFoundException.class,
        () -> kinesis.describeStream(r -> r.streamName("no-such-stream")));
    assertEquals("ResourceNotFoundException", missing.awsErrorDetails().errorCode());
    assertEquals(400, missing.statusCode());
    assertTrue(missing.getMessage().startsWith("Stream no-such-stream under account "), missing.getMessage());
    assertNotNull(missing.requestId());

    assertThrows(ResourceInUseException.class, () -> kinesis.createStream(r -> r.streamName(stream).shardCount(1)));
    assertThrows(InvalidArgumentException.class, () -> kinesis.getShardIterator(r -> r.streamName(stream)
        .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
        .startingSequenceNumber("12345")));
    assertThrows(ValidationException.class, () -> kinesis.getShardIterator(r -> r.streamName(stream)
        .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
        .startingSequenceNumber("not-a-number")));
    assertThrows(InvalidArgumentException.class, () -> kinesis.getRecords(r -> r.shardIterator("AAAA")));
    assertThrows(ResourceNotFoundException.class, () -> kinesis.getShardIterator(r -> r.streamName(stream)
        .shardId("shardId-000000000009").shardIteratorType(ShardIteratorType.LATEST)));
    assertThrows(LimitExceededException.class, () -> kinesis.createStream(r -> r.streamName("too-many-shards")
        .shardCount(100_000)));
    ValidationException invalid = assertThrows(ValidationException.class,
        () -> kinesis.createStream(r -> r.streamName("bad name!").shardCount(1)));
    assertTrue(invalid.getMessage().contains("streamName"), invalid.getMessage());
  }

  @Test
  void throttlingArrivesAsProvisionedThroughputExceededException() throws Exception {
    // AWS's per-shard limits are on only with --limits aws: 1 MiB/s of writes a shard, so 1 MiB
    // records sent back to back are throttled once the shard's second runs out (the SDK's own
    // retries are off in these clients, so the first refusal reaches the test).
    try (ServerProcess limited = ServerProcess.freshet(getClass().getSimpleName() + "-limits", "--limits", "aws");
        KinesisClient client = Clients.kinesis(limited.endpoint(), contentTypes);
        KinesisWaiter limitedWaiter = KinesisWaiter.builder().client(client).overrideConfiguration(o -> o
            .maxAttempts(600).backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(Duration.ofMillis(100))))
            .build()) {
      client.createStream(r -> r.streamName("throttled").shardCount(1));
      limitedWaiter.waitUntilStreamExists(r -> r.streamName("throttled"));
      SdkBytes oneMib = SdkBytes.fromByteArray(new byte[MIB - 16]);
      ProvisionedThroughputExceededException throttled = null;
      for (int i = 0; i < 50 && throttled == null; i++) {
        try {
          client.putRecord(r -> r.streamName("throttled").partitionKey("k").data(oneMib));
        } catch (ProvisionedThroughputExceededException e) {
          throttled = e;
        }
      }
      assertNotNull(throttled, "50 records of 1 MiB in a row were never throttled");
      assertEquals(400, throttled.statusCode());
      assertTrue(throttled.isThrottlingException(), "the SDK takes it for throttling (and would retry it)");
    }
  }

  @Test
  void anIteratorOlderThanFiveMinutesArrivesAsExpiredIteratorException() throws Exception {
    // The iterator is issued by a Freshet whose clock reads ten minutes early, and read by one on
    // the true clock over the same data directory (iterators are sealed with the installation's key).
    Path dataDir = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "expired-");
    String preload = ServerProcess.root().resolve("compat/src/test/resources/clock-ten-minutes-behind.cjs").toString();
    String iterator;
    try (ServerProcess behind = ServerProcess.freshet(getClass().getSimpleName() + "-behind", dataDir,
        Map.of("NODE_OPTIONS", "--require " + preload));
        KinesisClient client = Clients.kinesis(behind.endpoint(), contentTypes)) {
      client.createStream(r -> r.streamName("expiring").shardCount(1));
      for (int i = 0; i < 300 && client.describeStreamSummary(r -> r.streamName("expiring"))
          .streamDescriptionSummary().streamStatus() != StreamStatus.ACTIVE; i++) {
        Thread.sleep(100);
      }
      iterator = client.getShardIterator(r -> r.streamName("expiring").shardId("shardId-000000000000")
          .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
    }
    try (ServerProcess now = ServerProcess.freshet(getClass().getSimpleName() + "-now", dataDir, Map.of());
        KinesisClient client = Clients.kinesis(now.endpoint(), contentTypes)) {
      ExpiredIteratorException expired = assertThrows(ExpiredIteratorException.class,
          () -> client.getRecords(r -> r.shardIterator(iterator)));
      assertTrue(expired.getMessage().startsWith("Iterator expired."), expired.getMessage());
      assertEquals(400, expired.statusCode());
    }
  }

  @Test
  void subscribeToShardOverHttp2DeliversEveryRecord() throws Exception {
    String stream = newStream(1);
    String arn = arnOf(stream);
    Consumer consumer = kinesis.registerStreamConsumer(r -> r.streamARN(arn).consumerName("java-efo")).consumer();
    assertEquals("java-efo", kinesis.describeStreamConsumer(r -> r.consumerARN(consumer.consumerARN()))
        .consumerDescription().consumerName());
    kinesis.registerStreamConsumer(r -> r.streamARN(arn).consumerName("java-efo-2"));
    List<String> consumers = kinesis.listStreamConsumersPaginator(r -> r.streamARN(arn).maxResults(1))
        .stream().flatMap(page -> page.consumers().stream()).map(Consumer::consumerName).toList();
    assertEquals(Set.of("java-efo", "java-efo-2"), new HashSet<>(consumers));
    waitForActiveConsumer(consumer.consumerARN());

    int count = 300;
    List<PutRecordsRequestEntry> entries = IntStream.range(0, count).mapToObj(i -> PutRecordsRequestEntry.builder()
        .partitionKey("p").data(SdkBytes.fromUtf8String("event " + i)).build()).toList();
    kinesis.putRecords(r -> r.streamName(stream).records(entries));

    Subscription subscription = Subscription.start(kinesisAsync, consumer.consumerARN(), "shardId-000000000000",
        StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build(), count);
    List<Record> received = subscription.awaitRecords(Duration.ofSeconds(60));
    assertEquals(IntStream.range(0, count).mapToObj(i -> "event " + i).toList(),
        received.stream().limit(count).map(r -> r.data().asUtf8String()).toList());
    assertTrue(subscription.initialResponseSeen(), "the initial-response event arrived first");
    SubscribeToShardEvent last = subscription.lastEvent();
    assertEquals(received.get(received.size() - 1).sequenceNumber(), last.continuationSequenceNumber());
    assertEquals(0L, last.millisBehindLatest());
    subscription.cancel();

    kinesis.deregisterStreamConsumer(r -> r.consumerARN(consumer.consumerARN()));
  }

  private void waitForActiveConsumer(String consumerArn) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      if (kinesis.describeStreamConsumer(r -> r.consumerARN(consumerArn)).consumerDescription().consumerStatus()
          == ConsumerStatus.ACTIVE) return;
      Thread.sleep(100);
    }
    throw new AssertionError("consumer " + consumerArn + " did not become ACTIVE in 30 s");
  }
}
