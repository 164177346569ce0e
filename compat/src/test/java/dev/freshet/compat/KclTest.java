package dev.freshet.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The Java KCL (3.x) against Freshet, its leases in dynalite, metrics off: two workers in two JVMs
 * read a stream that is split and merged while they run, then one is killed; every record must be
 * read, in order within each shard, parents before children, and re-read only if it came after the
 * last checkpoint of its shard.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KclTest {
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(Long.getLong("kcl.progressTimeoutSeconds", 150));

  ServerProcess freshet;
  ServerProcess dynalite;
  KinesisClient kinesis;

  @BeforeAll
  void startServers() throws Exception {
    freshet = ServerProcess.freshet("KclTest-freshet");
    dynalite = ServerProcess.dynalite("KclTest-dynalite");
    kinesis = Clients.kinesis(freshet.endpoint());
  }

  @AfterAll
  void stopServers() throws Exception {
    if (kinesis != null) kinesis.close();
    if (dynalite != null) dynalite.close();
    if (freshet != null) freshet.close();
  }

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void pollingWorkersReadEveryRecordThroughSplitMergeAndAKill() throws Exception {
    runScenario("polling");
  }

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void fanOutWorkersReadEveryRecordThroughSplitMergeAndAKill() throws Exception {
    runScenario("fanout");
  }

  private void runScenario(String mode) throws Exception {
    String stream = "kcl-" + mode;
    kinesis.createStream(r -> r.streamName(stream).shardCount(2));
    awaitActive(stream);
    Producer producer = new Producer(stream);
    Path dir = Files.createDirectories(Path.of("target", "kcl").toAbsolutePath());
    createLeaseTable(dynalite, "compat-" + mode);
    List<Worker> workers = new ArrayList<>();
    try {
      // B starts once A holds a lease: the first worker sets up the KCL's coordinator state alone
      // (two first starts at once can leave dynalite's copy half-made: seen once in several runs).
      workers.add(Worker.start(this, dir, mode, stream, "A"));
      Journals journals = new Journals(workers);
      journals.awaitLease(workers.get(0));
      workers.add(Worker.start(this, dir, mode, stream, "B"));

      producer.put(300);
      journals.awaitAll(producer.ids(), "the first records, before any resharding");

      // Split shard 0 into 2 and 3; then merge 3 with its neighbour 1 into 4 (two lineages join).
      kinesis.splitShard(r -> r.streamName(stream).shardToSplit("shardId-000000000000")
          .newStartingHashKey(BigInteger.TWO.pow(126).toString()));
      awaitActive(stream);
      producer.put(300);
      kinesis.mergeShards(r -> r.streamName(stream).shardToMerge("shardId-000000000003")
          .adjacentShardToMerge("shardId-000000000001"));
      awaitActive(stream);
      producer.put(300);
      journals.awaitAll(producer.ids(), "the records written across a split and a merge");

      Worker victim = journals.busiestLiveWorker();
      victim.kill();
      producer.put(300);
      journals.awaitAll(producer.ids(), "the records written after worker " + victim.name + " was killed");

      journals.assertEveryRecordReadInShardOrder(producer.ids());
      journals.assertParentsEndedBeforeChildrenStarted(Map.of(
          "shardId-000000000002", List.of("shardId-000000000000"),
          "shardId-000000000003", List.of("shardId-000000000000"),
          "shardId-000000000004", List.of("shardId-000000000003", "shardId-000000000001")));
      journals.assertRereadOnlyAfterTheLastCheckpoint();
    } finally {
      for (Worker worker : workers) worker.stop();
    }
  }

  /**
   * The KCL's lease table, made as KCL 3 makes it. The KCL adds its lease-owner index with
   * UpdateTable, which dynalite does not implement (it answers as if the index had been added, then
   * describes a table without it); an index created with the table it does keep, and the KCL, finding
   * the index there, goes on as against DynamoDB.
   */
  static void createLeaseTable(ServerProcess dynalite, String application) throws Exception {
    try (DynamoDbAsyncClient dynamo = Clients.dynamoDb(dynalite.endpoint())) {
      dynamo.createTable(r -> r.tableName(application).billingMode(BillingMode.PAY_PER_REQUEST)
          .keySchema(KeySchemaElement.builder().attributeName("leaseKey").keyType(KeyType.HASH).build())
          .attributeDefinitions(
              AttributeDefinition.builder().attributeName("leaseKey").attributeType(ScalarAttributeType.S).build(),
              AttributeDefinition.builder().attributeName("leaseOwner").attributeType(ScalarAttributeType.S).build())
          .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("LeaseOwnerToLeaseKeyIndex")
              .keySchema(KeySchemaElement.builder().attributeName("leaseOwner").keyType(KeyType.HASH).build(),
                  KeySchemaElement.builder().attributeName("leaseKey").keyType(KeyType.RANGE).build())
              .projection(p -> p.projectionType(ProjectionType.KEYS_ONLY)).build()))
          .get(30, TimeUnit.SECONDS);
      dynamo.waiter().waitUntilTableExists(r -> r.tableName(application)).get(60, TimeUnit.SECONDS);
    }
  }

  private void awaitActive(String stream) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      if (kinesis.describeStreamSummary(r -> r.streamName(stream)).streamDescriptionSummary().streamStatus()
          == StreamStatus.ACTIVE) return;
      Thread.sleep(100);
    }
    throw new AssertionError("stream " + stream + " did not become ACTIVE in 30 s");
  }

  /** Writes records r0, r1, ... with 16 partition keys, remembering their ids. */
  private final class Producer {
    private final String stream;
    private final List<String> ids = new ArrayList<>();

    Producer(String stream) {
      this.stream = stream;
    }

    void put(int count) {
      for (int done = 0; done < count; done += 100) {
        int from = ids.size();
        List<PutRecordsRequestEntry> entries = IntStream.range(from, from + Math.min(100, count - done))
            .mapToObj(i -> PutRecordsRequestEntry.builder().partitionKey("pk-" + (i % 16))
                .data(SdkBytes.fromUtf8String("r" + i)).build())
            .toList();
        PutRecordsResponse response = kinesis.putRecords(r -> r.streamName(stream).records(entries));
        assertEquals(0, response.failedRecordCount(), "PutRecords failed records");
        entries.forEach(e -> ids.add(e.data().asUtf8String()));
      }
    }

    Set<String> ids() {
      return new HashSet<>(ids);
    }
  }

  /** A KCL worker JVM (KclWorker) and its journal. */
  static final class Worker {
    final String name;
    final Path journal;
    final Process process;
    boolean killed;

    private Worker(String name, Path journal, Process process) {
      this.name = name;
      this.journal = journal;
      this.process = process;
    }

    static Worker start(KclTest test, Path dir, String mode, String stream, String name) throws IOException {
      return start(test.freshet.endpoint(), test.dynalite.endpoint(), null, dir, mode, stream, name);
    }

    /** A worker of application compat-{mode}; {@code caFile} (or null) is the CA bundle of an HTTPS Freshet. */
    static Worker start(URI kinesis, URI dynamo, Path caFile, Path dir, String mode, String stream, String name)
        throws IOException {
      Path journal = dir.resolve(mode + "-" + name + ".journal");
      Files.deleteIfExists(journal);
      Files.createFile(journal);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-cp", classpath, KclWorker.class.getName(),
          kinesis.toString(), dynamo.toString(), stream, "compat-" + mode, KclWorker.newWorkerId(name),
          journal.toString(), mode));
      if (caFile != null) command.add(caFile.toString());
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ServerProcess.logFile("kcl-" + mode + "-" + name).toFile()).start();
      return new Worker(name, journal, process);
    }

    /** kill -9: no graceful shutdown, no last checkpoint; its leases expire and the other worker takes them. */
    void kill() throws InterruptedException {
      killed = true;
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    void stop() throws InterruptedException {
      if (!process.isAlive()) return;
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** One journal line: {@code millis KIND shard rest...}. */
  record Event(String worker, long millis, String kind, String shard, String[] rest) {
    static Event parse(String worker, String line) {
      String[] parts = line.split(" ");
      String[] rest = parts.length > 3 ? java.util.Arrays.copyOfRange(parts, 3, parts.length) : new String[0];
      return new Event(worker, Long.parseLong(parts[0]), parts[1], parts.length > 2 ? parts[2] : "", rest);
    }

    BigInteger sequence() {
      return new BigInteger(rest[0]);
    }

    String data() {
      return rest[3];
    }
  }

  /** The workers' journals, read whole each time (they are small). */
  static final class Journals {
    private final List<Worker> workers;

    Journals(List<Worker> workers) {
      this.workers = workers;
    }

    List<Event> events() throws IOException {
      List<Event> events = new ArrayList<>();
      for (Worker worker : workers) {
        for (String line : Files.readAllLines(worker.journal)) {
          if (!line.isBlank()) events.add(Event.parse(worker.name, line));
        }
      }
      events.sort(Comparator.comparingLong(Event::millis));
      return events;
    }

    Set<String> readIds() throws IOException {
      return events().stream().filter(e -> e.kind().equals("REC")).map(Event::data).collect(Collectors.toSet());
    }

    void awaitAll(Set<String> ids, String what) throws Exception {
      long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
      Set<String> missing = new TreeSet<>(ids);
      while (System.nanoTime() < deadline) {
        missing.removeAll(readIds());
        if (missing.isEmpty()) return;
        for (Worker worker : workers) {
          if (!worker.killed && !worker.process.isAlive()) {
            throw new AssertionError("KCL worker " + worker.name + " exited with " + worker.process.exitValue()
                + "; see target/servers/kcl-*.log");
          }
        }
        Thread.sleep(500);
      }
      throw new AssertionError("the KCL workers did not read " + what + " within " + PROGRESS_TIMEOUT + ": "
          + missing.size() + " of " + ids.size() + " missing, e.g. " + missing.stream().limit(10).toList()
          + "; journals in target/kcl/, worker logs in target/servers/");
    }

    void awaitLease(Worker worker) throws Exception {
      long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        if (Files.readAllLines(worker.journal).stream().anyMatch(line -> line.contains(" START "))) return;
        if (!worker.process.isAlive()) {
          throw new AssertionError("KCL worker " + worker.name + " exited with " + worker.process.exitValue()
              + "; see target/servers/kcl-*.log");
        }
        Thread.sleep(250);
      }
      throw new AssertionError("KCL worker " + worker.name + " took no lease within " + PROGRESS_TIMEOUT
          + "; see target/servers/kcl-*.log");
    }

    /** The live worker holding the most shards now (by its journal: started, not ended or lost). */
    Worker busiestLiveWorker() throws IOException {
      Map<String, Set<String>> held = new HashMap<>();
      for (Event event : events()) {
        Set<String> shards = held.computeIfAbsent(event.worker(), w -> new HashSet<>());
        switch (event.kind()) {
          case "START" -> shards.add(event.shard());
          case "END", "LOST" -> shards.remove(event.shard());
          default -> { }
        }
      }
      Worker busiest = workers.stream().filter(w -> !w.killed)
          .max(Comparator.comparingInt(w -> held.getOrDefault(w.name, Set.of()).size())).orElseThrow();
      assertFalse(held.getOrDefault(busiest.name, Set.of()).isEmpty(), "no worker holds a lease: " + held);
      return busiest;
    }

    /** Every id read; within one worker's run of a shard, sequence numbers strictly increase. */
    void assertEveryRecordReadInShardOrder(Set<String> ids) throws IOException {
      assertEquals(new TreeSet<>(ids), new TreeSet<>(readIds()), "records read");
      Map<String, BigInteger> lastByWorkerShard = new HashMap<>();
      for (Event event : events()) {
        String key = event.worker() + "/" + event.shard();
        if (event.kind().equals("START")) lastByWorkerShard.remove(key);
        if (!event.kind().equals("REC")) continue;
        BigInteger previous = lastByWorkerShard.put(key, event.sequence());
        assertTrue(previous == null || previous.compareTo(event.sequence()) < 0,
            "worker " + event.worker() + " read " + event.shard() + " out of order: " + event.sequence()
                + " after " + previous);
      }
    }

    /** A child's first record was read no earlier than the END of each of its parents. */
    void assertParentsEndedBeforeChildrenStarted(Map<String, List<String>> parentsByChild) throws IOException {
      List<Event> events = events();
      for (var entry : parentsByChild.entrySet()) {
        long firstChildRecord = events.stream()
            .filter(e -> e.kind().equals("REC") && e.shard().equals(entry.getKey()))
            .mapToLong(Event::millis).min()
            .orElseThrow(() -> new AssertionError("no record was read from " + entry.getKey()));
        for (String parent : entry.getValue()) {
          long parentEnd = events.stream().filter(e -> e.kind().equals("END") && e.shard().equals(parent))
              .mapToLong(Event::millis).min()
              .orElseThrow(() -> new AssertionError("parent " + parent + " of " + entry.getKey() + " never ended"));
          assertTrue(parentEnd <= firstChildRecord, entry.getKey() + " was read at " + firstChildRecord
              + " before its parent " + parent + " ended at " + parentEnd);
        }
      }
    }

    /** A record read twice must not have been covered by a successful checkpoint before it was read again. */
    void assertRereadOnlyAfterTheLastCheckpoint() throws IOException {
      List<Event> events = events();
      Set<String> seen = new HashSet<>();
      Map<String, BigInteger> checkpointed = new HashMap<>();
      int rereads = 0;
      for (Event event : events) {
        if (event.kind().equals("CKPT")) checkpointed.merge(event.shard(), event.sequence(), BigInteger::max);
        if (!event.kind().equals("REC")) continue;
        if (seen.add(event.data())) continue;
        rereads++;
        BigInteger checkpoint = checkpointed.get(event.shard());
        assertTrue(checkpoint == null || checkpoint.compareTo(event.sequence()) < 0, event.data() + " ("
            + event.shard() + " " + event.sequence() + ") was read again by " + event.worker()
            + " after the shard was checkpointed at " + checkpoint);
      }
      System.out.println("records read again after the kill (since the last checkpoint): " + rereads);
    }
  }
}
