/**
 * What the gateway's authorize step asks of Data Streams: which resource a call acts on, and the
 * resource policy stored for it. The resource is the stream's ARN (named by StreamARN, or by
 * StreamName in the caller's own account and region, or inside a shard iterator or a ListShards
 * NextToken), the consumer's ARN (named by ConsumerARN, or by StreamARN and ConsumerName), the
 * ARN of a tag or policy call, or `*` for the actions the Service Authorization Reference lists
 * without a resource type (ListStreams, DescribeLimits, the account settings).
 *
 * It must be the resource the engine acts on, in the one spelling policies are written against:
 * the engine reads any `arn:aws...:` partition and a zero-padded consumer creation time as the
 * same resource, so an ARN as given would let a call past a Deny written for the real one.
 */
import type { Clock } from '../../../core/clock.js';
import type { RequestContext } from '../../../core/context.js';
import type { StreamCatalog } from './catalog.js';
import { consumerArn, liveConsumers, parseConsumerArn } from './consumers.js';
import type { PageTokens } from './pageTokens.js';
import type { ShardIteratorCodec } from './shardIterators.js';
import { parseStreamArn, streamArn, type StreamAddress } from './streamState.js';

/** The members by which Kinesis inputs name their resource. */
interface ResourceNaming {
  ConsumerARN?: string;
  ConsumerName?: string;
  ResourceARN?: string;
  StreamARN?: string;
  StreamName?: string;
  ShardIterator?: string;
  NextToken?: string;
}

/** Operations that act on an existing consumer, which StreamARN and ConsumerName may name. */
const CONSUMER_OPERATIONS = new Set(['DescribeStreamConsumer', 'DeregisterStreamConsumer']);

export class ResourceAuthorization {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly iterators: ShardIteratorCodec,
    private readonly pageTokens: PageTokens,
    private readonly clock: Clock,
  ) {}

  /** The ARN the call acts on, or `*`. A name the call gets wrong is left for the handler to refuse. */
  resourceOf(ctx: RequestContext, operation: string, input: object): string {
    const named = input as ResourceNaming;
    if (named.ConsumerARN !== undefined) return canonicalResourceArn(named.ConsumerARN);
    if (named.ResourceARN !== undefined) return canonicalResourceArn(named.ResourceARN);
    if (named.StreamARN !== undefined) {
      if (named.ConsumerName !== undefined && CONSUMER_OPERATIONS.has(operation)) {
        const consumer = this.consumerNamed(named.StreamARN, named.ConsumerName);
        if (consumer) return consumer;
      }
      return canonicalResourceArn(named.StreamARN);
    }
    if (named.StreamName !== undefined) return streamArn({ account: ctx.account, region: ctx.region, name: named.StreamName });
    if (named.ShardIterator !== undefined) {
      // GetRecords: the iterator names its stream; one that does not open is refused by the handler.
      const position = this.iterators.decode(named.ShardIterator);
      if (position) return streamArn({ account: position.account, region: position.region, name: position.streamName });
    }
    if (named.NextToken !== undefined && operation === 'ListShards') {
      const stream = this.streamOfShardListing(ctx, named.NextToken);
      if (stream) return streamArn(stream);
    }
    return '*';
  }

  /** The resource policy document stored for a stream or consumer ARN, if there is one. */
  resourcePolicyOf(arn: string): string | undefined {
    const address = parseStreamArn(arn.replace(/\/consumer\/.*$/, ''));
    return address ? this.catalog.get(address)?.state.policies[arn] : undefined;
  }

  /** The ARN of the consumer a stream ARN and consumer name designate, found as the engine finds it (ConsumerRegistry.locate). */
  private consumerNamed(arn: string, name: string): string | undefined {
    const address = parseStreamArn(arn);
    const live = address && this.catalog.get(address);
    const consumer = live && liveConsumers(live.state, this.clock.now()).find((c) => c.name === name);
    return consumer ? consumerArn(live.state, consumer) : undefined;
  }

  /**
   * The stream a ListShards NextToken pages through. Its scope is the one ControlPlane issues it
   * under (the listing, the caller's account and region); a token that does not open is the
   * handler's to refuse.
   */
  private streamOfShardListing(ctx: RequestContext, token: string): StreamAddress | undefined {
    try {
      return this.pageTokens.open(token, { listing: 'ListShards', account: ctx.account, region: ctx.region }).stream;
    } catch {
      return undefined;
    }
  }
}

/**
 * A stream or consumer ARN as Freshet writes it (the region's partition, the creation time in
 * plain seconds), for any spelling the engine reads as the same resource; other text as it is.
 */
export function canonicalResourceArn(arn: string): string {
  const consumer = parseConsumerArn(arn);
  if (consumer) return consumerArn(consumer.stream, { name: consumer.name, createdMs: consumer.createdSeconds * 1000 });
  const stream = parseStreamArn(arn);
  return stream ? streamArn(stream) : arn;
}
