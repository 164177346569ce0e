package dev.freshet.compat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/** SDK v2 clients pointed at a local server, signed with made-up keys (Freshet runs without --auth here). */
final class Clients {
  static final Region REGION = Region.US_EAST_1;
  static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDCOMPAT", "compat-secret"));

  private Clients() {}

  /** Records the operation and Content-Type of every request a client sends, to prove which wire format it spoke. */
  static final class ContentTypes implements ExecutionInterceptor {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
      context.httpRequest().firstMatchingHeader("Content-Type").ifPresent(type -> seen.add(operation + " " + type));
    }
  }

  /** The synchronous client (Apache HTTP/1.1); retries off so errors reach the test as the server sent them. */
  static KinesisClient kinesis(URI endpoint, ExecutionInterceptor... interceptors) {
    return KinesisClient.builder()
        .endpointOverride(endpoint)
        .region(REGION)
        .credentialsProvider(CREDENTIALS)
        .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(o -> {
          o.retryStrategy(AwsRetryStrategy.doNotRetry());
          o.apiCallTimeout(Duration.ofSeconds(90));
          for (ExecutionInterceptor interceptor : interceptors) o.addExecutionInterceptor(interceptor);
        })
        .build();
  }

  /** The asynchronous client on Netty over HTTP/2 (cleartext, prior knowledge), as SubscribeToShard needs. */
  static KinesisAsyncClient kinesisAsync(URI endpoint, ExecutionInterceptor... interceptors) {
    return KinesisAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(REGION)
        .credentialsProvider(CREDENTIALS)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .protocol(Protocol.HTTP2)
            .maxConcurrency(100)
            .connectionTimeout(Duration.ofSeconds(10)))
        .overrideConfiguration(o -> {
          for (ExecutionInterceptor interceptor : interceptors) o.addExecutionInterceptor(interceptor);
        })
        .build();
  }

  /** The synchronous client of an HTTPS Freshet (--tls auto), trusting the certificate in {@code caFile}. */
  static KinesisClient kinesis(URI endpoint, Path caFile) {
    return KinesisClient.builder()
        .endpointOverride(endpoint)
        .region(REGION)
        .credentialsProvider(CREDENTIALS)
        .httpClientBuilder(ApacheHttpClient.builder().tlsTrustManagersProvider(() -> trustManagers(caFile)))
        .build();
  }

  /** The async client of an HTTPS Freshet (--tls auto), trusting the certificate in {@code caFile}. */
  static KinesisAsyncClient kinesisAsync(URI endpoint, Path caFile) {
    return KinesisAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(REGION)
        .credentialsProvider(CREDENTIALS)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .protocol(Protocol.HTTP2)
            .maxConcurrency(1000)
            .tlsTrustManagersProvider(() -> trustManagers(caFile)))
        .build();
  }

  static TrustManager[] trustManagers(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("freshet-" + i++, certificate);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the CA bundle " + caFile, e);
    }
  }

  static DynamoDbAsyncClient dynamoDb(URI endpoint) {
    return DynamoDbAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(REGION)
        .credentialsProvider(CREDENTIALS)
        .build();
  }
}
