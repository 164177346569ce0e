package dev.freshet.compat;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.kinesis.common.ConfigsBuilder;
import software.amazon.kinesis.common.InitialPositionInStream;
import software.amazon.kinesis.common.InitialPositionInStreamExtended;
import software.amazon.kinesis.common.KinesisClientUtil;
import software.amazon.kinesis.common.StreamIdentifier;
import software.amazon.kinesis.coordinator.Scheduler;
import software.amazon.kinesis.exceptions.InvalidStateException;
import software.amazon.kinesis.exceptions.ShutdownException;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.LeaseLostInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.lifecycle.events.ShardEndedInput;
import software.amazon.kinesis.lifecycle.events.ShutdownRequestedInput;
import software.amazon.kinesis.metrics.MetricsLevel;
import software.amazon.kinesis.metrics.NullMetricsFactory;
import software.amazon.kinesis.processor.ShardRecordProcessor;
import software.amazon.kinesis.processor.SingleStreamTracker;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.polling.PollingConfig;

/**
 * One KCL worker, run as its own JVM by {@link KclTest}: a Scheduler reading a Freshet stream with
 * its leases in dynalite and metrics off, writing what it processes to a journal file, one line an
 * event, so the test can check order, completeness and hand-overs from outside:
 *
 * <pre>
 * millis START shardId startingSequence     millis REC shardId seq subSeq partitionKey data
 * millis CKPT shardId seq                   millis END shardId      millis LOST shardId
 * </pre>
 *
 * Arguments: kinesisEndpoint dynamoEndpoint stream application workerId journal polling|fanout [caFile]
 */
public final class KclWorker {
  private KclWorker() {}

  public static void main(String[] args) throws Exception {
    URI kinesisEndpoint = URI.create(args[0]);
    URI dynamoEndpoint = URI.create(args[1]);
    String stream = args[2];
    String application = args[3];
    String workerId = args[4];
    Journal journal = new Journal(args[5]);
    boolean polling = args[6].equals("polling");

    Path caFile = args.length > 7 ? Path.of(args[7]) : null;
    KinesisAsyncClient kinesis = caFile == null
        ? KinesisClientUtil.createKinesisAsyncClient(KinesisAsyncClient.builder()
            .endpointOverride(kinesisEndpoint).region(Clients.REGION).credentialsProvider(Clients.CREDENTIALS))
        : Clients.kinesisAsync(kinesisEndpoint, caFile);
    DynamoDbAsyncClient dynamo = Clients.dynamoDb(dynamoEndpoint);
    // Never called (metrics are off); the KCL only needs one to be built.
    CloudWatchAsyncClient cloudWatch = CloudWatchAsyncClient.builder().endpointOverride(kinesisEndpoint)
        .region(Clients.REGION).credentialsProvider(Clients.CREDENTIALS).build();

    SingleStreamTracker tracker = new SingleStreamTracker(StreamIdentifier.singleStreamInstance(stream),
        InitialPositionInStreamExtended.newInitialPosition(InitialPositionInStream.TRIM_HORIZON));
    ConfigsBuilder configs = new ConfigsBuilder(tracker, application, kinesis, dynamo, cloudWatch, workerId,
        () -> new JournalingProcessor(journal));

    var retrieval = configs.retrievalConfig();
    if (polling) retrieval.retrievalSpecificConfig(new PollingConfig(stream, kinesis).idleTimeBetweenReadsInMillis(250));
    // Short failover and sync intervals so hand-overs and new shards are seen within seconds.
    var leases = configs.leaseManagementConfig().failoverTimeMillis(4_000).shardSyncIntervalMillis(2_000)
        .leasesRecoveryAuditorExecutionFrequencyMillis(5_000).dynamoDbRequestTimeout(Duration.ofSeconds(30))
        // The leader (which assigns leases in KCL 3) holds a lock for 2 minutes by default: when the
        // test kills it, the other worker would wait that long before taking any lease.
        .dynamoDbLockBasedLeaderLeaseDurationInMillis(8_000).dynamoDbLockBasedLeaderHeartbeatPeriodInMillis(2_000);
    leases.workerUtilizationAwareAssignmentConfig().workerMetricsReporterFreqInMillis(2_000)
        .inMemoryWorkerMetricsCaptureFrequencyMillis(1_000);
    var coordinator = configs.coordinatorConfig().parentShardPollIntervalMillis(250)
        .shardConsumerDispatchPollIntervalMillis(250).schedulerInitializationBackoffTimeMillis(500);
    var metrics = configs.metricsConfig().metricsFactory(new NullMetricsFactory()).metricsLevel(MetricsLevel.NONE);

    Scheduler scheduler = new Scheduler(configs.checkpointConfig(), coordinator, leases, configs.lifecycleConfig(),
        metrics, configs.processorConfig(), retrieval);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        scheduler.startGracefulShutdown().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("graceful shutdown failed: " + e);
      }
    }));
    System.out.println("KCL worker " + workerId + " starting (" + (polling ? "polling" : "enhanced fan-out") + ")");
    scheduler.run();
  }

  /** Appends one flushed line per event; shared by the worker's shard processors. */
  static final class Journal {
    private final PrintWriter out;

    Journal(String path) throws IOException {
      out = new PrintWriter(new FileWriter(path, StandardCharsets.UTF_8, true), true);
    }

    synchronized void write(String event) {
      out.println(System.currentTimeMillis() + " " + event);
    }
  }

  /** Journals every record, checkpoints after each batch and at a shard's end. */
  static final class JournalingProcessor implements ShardRecordProcessor {
    private final Journal journal;
    private String shardId;

    JournalingProcessor(Journal journal) {
      this.journal = journal;
    }

    @Override
    public void initialize(InitializationInput input) {
      shardId = input.shardId();
      journal.write("START " + shardId + " " + input.extendedSequenceNumber());
    }

    @Override
    public void processRecords(ProcessRecordsInput input) {
      KinesisClientRecord last = null;
      for (KinesisClientRecord record : input.records()) {
        byte[] data = new byte[record.data().remaining()];
        record.data().get(data);
        journal.write("REC " + shardId + " " + record.sequenceNumber() + " " + record.subSequenceNumber() + " "
            + record.partitionKey() + " " + new String(data, StandardCharsets.UTF_8));
        last = record;
      }
      if (last == null) return;
      try {
        input.checkpointer().checkpoint(last.sequenceNumber(), last.subSequenceNumber());
        journal.write("CKPT " + shardId + " " + last.sequenceNumber() + " " + last.subSequenceNumber());
      } catch (ShutdownException | InvalidStateException e) {
        journal.write("CKPT-FAILED " + shardId + " " + e.getClass().getSimpleName());
      }
    }

    @Override
    public void leaseLost(LeaseLostInput input) {
      journal.write("LOST " + shardId);
    }

    @Override
    public void shardEnded(ShardEndedInput input) {
      journal.write("END " + shardId);
      try {
        input.checkpointer().checkpoint();
      } catch (ShutdownException | InvalidStateException e) {
        journal.write("CKPT-FAILED " + shardId + " " + e.getClass().getSimpleName());
      }
    }

    @Override
    public void shutdownRequested(ShutdownRequestedInput input) {
      try {
        input.checkpointer().checkpoint();
      } catch (ShutdownException | InvalidStateException e) {
        journal.write("CKPT-FAILED " + shardId + " " + e.getClass().getSimpleName());
      }
    }
  }

  static String newWorkerId(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
