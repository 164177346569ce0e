/**
 * What the gateway's authorize step asks of Data Streams: which resource a call acts on, and the
 * resource policy stored for it. The resource is the stream's ARN (named by StreamARN, or by
 * StreamName in the caller's own account and region, or inside a shard iterator), the
 * consumer's ARN, the ARN of a tag or policy call, or `*` for the actions the Service
 * Authorization Reference lists without a resource type (ListStreams, DescribeLimits, the account
 * settings).
 */
import type { RequestContext } from '../../../core/context.js';
import type { StreamCatalog } from './catalog.js';
import type { ShardIteratorCodec } from './shardIterators.js';
import { parseStreamArn, streamArn } from './streamState.js';

/** The members by which Kinesis inputs name their resource. */
interface ResourceNaming {
  ConsumerARN?: string;
  ResourceARN?: string;
  StreamARN?: string;
  StreamName?: string;
  ShardIterator?: string;
}

export class ResourceAuthorization {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly iterators: ShardIteratorCodec,
  ) {}

  /** The ARN the call acts on, or `*`. A name the call gets wrong is left for the handler to refuse. */
  resourceOf(ctx: RequestContext, input: object): string {
    const named = input as ResourceNaming;
    if (named.ConsumerARN !== undefined) return named.ConsumerARN;
    if (named.ResourceARN !== undefined) return named.ResourceARN;
    if (named.StreamARN !== undefined) return named.StreamARN;
    if (named.StreamName !== undefined) return streamArn({ account: ctx.account, region: ctx.region, name: named.StreamName });
    if (named.ShardIterator !== undefined) {
      // GetRecords: the iterator names its stream; one that does not open is refused by the handler.
      const position = this.iterators.decode(named.ShardIterator);
      if (position) return streamArn({ account: position.account, region: position.region, name: position.streamName });
    }
    return '*';
  }

  /** The resource policy document stored for a stream or consumer ARN, if there is one. */
  resourcePolicyOf(arn: string): string | undefined {
    const address = parseStreamArn(arn.replace(/\/consumer\/.*$/, ''));
    return address ? this.catalog.get(address)?.state.policies[arn] : undefined;
  }
}
