/** Real AWS clients pointed at a test server, and small waits around stream status. */
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDFRESHETTEST', secretAccessKey: 'freshet-test-secret' };

export function kinesisClient(url: string, region = 'us-east-1'): KinesisClient {
  return new KinesisClient({ endpoint: url, region, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
}

/** Environment for the `aws` CLI and boto3 child processes. */
export function awsEnv(region = 'us-east-1'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

let counter = 0;
/** A stream name unique to this process and call. */
export function uniqueName(prefix = 'stream'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export async function waitForStatus(client: KinesisClient, streamName: string, status: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === status) return;
    if (Date.now() > deadline) throw new Error(`stream ${streamName} did not become ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
