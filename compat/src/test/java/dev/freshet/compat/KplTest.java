package dev.freshet.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.kinesis.producer.KinesisProducer;
import software.amazon.kinesis.producer.KinesisProducerConfiguration;
import software.amazon.kinesis.producer.UserRecordResult;

/**
 * The Java KPL (its native daemon speaks only HTTPS) writing to Freshet under --tls auto with
 * aggregation on, trusting Freshet's generated certificate; a KCL worker reads every user record
 * back, de-aggregated, with the sequence number the KPL was given and a sub-sequence number each.
 */
class KplTest {
  /** 5,000 by default; -Dkpl.userRecords=50000 for the figures in docs/BENCHMARKS.md. */
  private static final int USER_RECORDS = Integer.getInteger("kpl.userRecords", 5_000);

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void aggregatedUserRecordsComeBackOneByOneThroughTheKcl() throws Exception {
    try (ServerProcess freshet = ServerProcess.freshet("KplTest-freshet", "--tls", "auto");
        ServerProcess dynalite = ServerProcess.dynalite("KplTest-dynalite")) {
      Path ca = freshet.dataDir().resolve("tls/cert.pem");
      String stream = "kpl-aggregated";
      try (KinesisClient kinesis = Clients.kinesis(freshet.endpoint(), ca)) {
        kinesis.createStream(r -> r.streamName(stream).shardCount(2));
        for (int i = 0; i < 300 && kinesis.describeStreamSummary(r -> r.streamName(stream))
            .streamDescriptionSummary().streamStatus() != StreamStatus.ACTIVE; i++) {
          Thread.sleep(100);
        }
      }

      Map<String, UserRecordResult> written = produce(freshet, ca, stream);
      Set<String> sequenceNumbers = written.values().stream().map(UserRecordResult::getSequenceNumber)
          .collect(Collectors.toSet());
      // How many go in one record depends on timing (RecordMaxBufferedTime); that some do is the point.
      assertTrue(sequenceNumbers.size() < USER_RECORDS, "the KPL aggregated " + USER_RECORDS
          + " user records into " + sequenceNumbers.size() + " Kinesis records");
      System.out.printf("KPL aggregated %d user records into %d Kinesis records%n", USER_RECORDS, sequenceNumbers.size());

      KclTest.createLeaseTable(dynalite, "compat-polling");
      Path dir = Files.createDirectories(Path.of("target", "kpl").toAbsolutePath());
      KclTest.Worker worker = KclTest.Worker.start(freshet.endpoint(), dynalite.endpoint(), ca, dir, "polling", stream,
          "reader");
      try {
        KclTest.Journals journals = new KclTest.Journals(List.of(worker));
        journals.awaitAll(written.keySet(), "the KPL's user records");
        List<KclTest.Event> reads = journals.events().stream().filter(e -> e.kind().equals("REC")).toList();
        Map<String, List<KclTest.Event>> byId = reads.stream().collect(Collectors.groupingBy(KclTest.Event::data));
        for (var entry : written.entrySet()) {
          KclTest.Event read = byId.get(entry.getKey()).get(0);
          assertEquals(entry.getValue().getShardId(), read.shard(), entry.getKey() + "'s shard");
          assertEquals(entry.getValue().getSequenceNumber(), read.sequence().toString(), entry.getKey() + "'s record");
        }
        Map<String, Set<String>> subSequencesByRecord = reads.stream().collect(Collectors.groupingBy(
            e -> e.shard() + "/" + e.sequence(), Collectors.mapping(e -> e.rest()[1], Collectors.toSet())));
        for (var entry : subSequencesByRecord.entrySet()) {
          long users = reads.stream().filter(e -> (e.shard() + "/" + e.sequence()).equals(entry.getKey()))
              .map(KclTest.Event::data).distinct().count();
          assertEquals(users, entry.getValue().size(), "one sub-sequence number per user record of " + entry.getKey());
        }
        assertTrue(reads.stream().anyMatch(e -> !e.rest()[1].equals("0")), "some user records had sub-sequence numbers");
        long first = reads.get(0).millis();
        long last = reads.get(reads.size() - 1).millis();
        System.out.printf("KCL (polling, 1 worker, TLS) read %d user records in %d ms: %.0f records/s%n",
            reads.size(), last - first, reads.size() * 1000.0 / Math.max(1, last - first));
      } finally {
        worker.stop();
      }
    }
  }

  /** Writes the user records u0, u1, ... through the KPL; returns each one's result by id. */
  private static Map<String, UserRecordResult> produce(ServerProcess freshet, Path ca, String stream) throws Exception {
    KinesisProducerConfiguration config = new KinesisProducerConfiguration()
        .setRegion(Clients.REGION.id())
        .setCredentialsProvider(Clients.CREDENTIALS)
        .setKinesisEndpoint(freshet.endpoint().getHost())
        .setKinesisPort(freshet.endpoint().getPort())
        .setCaCertFile(ca.toString())
        .setVerifyCertificate(true)
        .setMetricsLevel("none")
        .setAggregationEnabled(true)
        .setRecordMaxBufferedTime(100)
        .setLogLevel("warning")
        .setTempDirectory(Files.createDirectories(Path.of("target", "kpl-native").toAbsolutePath()).toString());
    KinesisProducer producer = new KinesisProducer(config);
    try {
      long start = System.nanoTime();
      Map<String, Future<UserRecordResult>> futures = new HashMap<>();
      for (int i = 0; i < USER_RECORDS; i++) {
        String id = "u" + i;
        futures.put(id, producer.addUserRecord(stream, "pk-" + (i % 50),
            ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8))));
      }
      producer.flushSync();
      Map<String, UserRecordResult> results = new HashMap<>();
      List<String> failed = new ArrayList<>();
      for (var entry : futures.entrySet()) {
        UserRecordResult result = entry.getValue().get(120, TimeUnit.SECONDS);
        if (!result.isSuccessful()) failed.add(entry.getKey() + ": " + result.getAttempts());
        results.put(entry.getKey(), result);
      }
      long elapsedMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
      assertTrue(failed.isEmpty(), "user records the KPL could not write: " + failed.stream().limit(5).toList());
      System.out.printf("KPL (aggregated, TLS) wrote %d user records in %d ms: %.0f records/s%n", USER_RECORDS,
          elapsedMs, USER_RECORDS * 1000.0 / Math.max(1, elapsedMs));
      return results;
    } finally {
      producer.destroy();
    }
  }
}
