/**
 * Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer,
 * ListStreamConsumers, DeregisterStreamConsumer. A consumer lives in its stream's state
 * (`StreamState.consumers`), so it is created, changed and deleted with the stream, durably and
 * serialized with the stream's other changes. Its status follows the clock (see ConsumerState):
 * CREATING for `registerConsumerMs`, then ACTIVE; DELETING for `deregisterConsumerMs`, then gone.
 *
 * AWS's rules: 20 consumers per stream, at most 5 of them CREATING at once; a name is taken
 * until its consumer is gone; the consumer ARN is the stream ARN + `/consumer/<name>:<creation
 * time in epoch seconds>`, so a consumer registered again under the same name has another ARN.
 */
import { invalidArgument, limitExceeded, resourceInUse, resourceNotFound, type KinesisError } from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import { streamNotFound, type LiveStream, type StreamCatalog } from './catalog.js';
import { addressOf, type RequestContext } from './context.js';
import type { EngineOptions } from './options.js';
import type { ListingScope, PageTokens } from './pageTokens.js';
import { streamArn, type ConsumerState, type StreamAddress, type StreamState } from './streamState.js';

export const CONSUMER_LIMITS = {
  perStream: 20,
  creatingPerStream: 5,
  tagsPerConsumer: 50,
  defaultListResults: 100,
} as const;

export type ConsumerStatus = Shapes.ConsumerStatus;

// ---- ARNs and statuses ------------------------------------------------------------------------

export function consumerArn(stream: StreamAddress, consumer: Pick<ConsumerState, 'name' | 'createdMs'>): string {
  return `${streamArn(stream)}/consumer/${consumer.name}:${Math.floor(consumer.createdMs / 1000)}`;
}

export interface ConsumerAddress {
  stream: StreamAddress;
  name: string;
  createdSeconds: number;
}

const CONSUMER_ARN =
  /^arn:aws[\w-]*:kinesis:([^:]*):(\d{12}):stream\/([a-zA-Z0-9_.-]{1,128})\/consumer\/([a-zA-Z0-9_.-]{1,128}):(\d{1,15})$/;

/** Parses a consumer ARN; undefined when it does not name a consumer. */
export function parseConsumerArn(arn: string): ConsumerAddress | undefined {
  const match = CONSUMER_ARN.exec(arn);
  if (!match) return undefined;
  const [, region, account, name, consumerName, seconds] = match as unknown as [string, string, string, string, string, string];
  return { stream: { account, region, name }, name: consumerName, createdSeconds: Number(seconds) };
}

export function isConsumerArn(arn: string): boolean {
  return arn.includes('/consumer/');
}

/** A consumer's status at nowMs; undefined once it is gone. */
export function consumerStatusOf(consumer: ConsumerState, nowMs: number): ConsumerStatus | undefined {
  if (consumer.goneMs !== undefined) return nowMs >= consumer.goneMs ? undefined : 'DELETING';
  return nowMs >= consumer.activeMs ? 'ACTIVE' : 'CREATING';
}

/** The consumers of a stream that are not gone, in registration order. */
export function liveConsumers(state: StreamState, nowMs: number): ConsumerState[] {
  return (state.consumers ?? []).filter((consumer) => consumerStatusOf(consumer, nowMs) !== undefined);
}

/** The consumer an ARN names, if it exists (not gone) in this stream. */
export function consumerByArn(state: StreamState, arn: string, nowMs: number): ConsumerState | undefined {
  const address = parseConsumerArn(arn);
  if (!address || address.stream.name !== state.name || address.stream.account !== state.account) return undefined;
  if (address.stream.region !== state.region) return undefined;
  return liveConsumers(state, nowMs).find(
    (consumer) => consumer.name === address.name && Math.floor(consumer.createdMs / 1000) === address.createdSeconds,
  );
}

/** AWS's text (as CloudFormation users quote it) for a consumer that is not ACTIVE. */
export function consumerNotActive(state: StreamState, consumer: ConsumerState): KinesisError {
  return resourceInUse(
    `Consumer ${consumer.name} with creation timestamp ${Math.floor(consumer.createdMs / 1000)} under stream ` +
      `${state.name} and account ${state.account} is not in ACTIVE status.`,
  );
}

export function checkConsumerTagCount(consumerName: string, count: number): void {
  if (count <= CONSUMER_LIMITS.tagsPerConsumer) return;
  throw limitExceeded(
    `Failed to add tags to consumer ${consumerName} because a given consumer cannot have more than ` +
      `${CONSUMER_LIMITS.tagsPerConsumer} tags.`,
  );
}

export interface ConsumerReference {
  ConsumerARN?: string;
  ConsumerName?: string;
  StreamARN?: string;
}

// ---- Operations -------------------------------------------------------------------------------

export class ConsumerRegistry {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly options: EngineOptions,
    private readonly pageTokens: PageTokens,
  ) {}

  async register(ctx: RequestContext, input: Shapes.RegisterStreamConsumerInput): Promise<Shapes.RegisterStreamConsumerOutput> {
    const live = this.streamByArn(ctx, input.StreamARN);
    if (input.Tags) checkConsumerTagCount(input.ConsumerName, Object.keys(input.Tags).length);
    const consumer = await this.catalog.update(live, (draft) => {
      const now = this.options.clock.now();
      if (draft.status === 'CREATING' || draft.status === 'DELETING') {
        throw resourceInUse(`Stream ${draft.name} under account ${draft.account} not ACTIVE, instead in state ${draft.status}`);
      }
      const consumers = this.prune(draft, now);
      if (consumers.some((existing) => existing.name === input.ConsumerName)) {
        throw resourceInUse(`Consumer ${input.ConsumerName} under stream ${draft.name} already exists for account ${draft.account}.`);
      }
      if (consumers.length >= CONSUMER_LIMITS.perStream) {
        throw limitExceeded(
          `Stream ${draft.name} under account ${draft.account} already has ${consumers.length} registered consumers, ` +
            `the limit of ${CONSUMER_LIMITS.perStream}.`,
        );
      }
      const creating = consumers.filter((existing) => consumerStatusOf(existing, now) === 'CREATING').length;
      if (creating >= CONSUMER_LIMITS.creatingPerStream) {
        throw limitExceeded(
          `Stream ${draft.name} under account ${draft.account} already has ${creating} consumers in CREATING status, ` +
            `the limit of ${CONSUMER_LIMITS.creatingPerStream}.`,
        );
      }
      const created: ConsumerState = {
        name: input.ConsumerName,
        createdMs: now,
        activeMs: now + this.options.registerConsumerMs,
        tags: { ...input.Tags },
      };
      consumers.push(created);
      return created;
    });
    return { Consumer: this.describeConsumer(live.state, consumer) };
  }

  describe(ctx: RequestContext, input: Shapes.DescribeStreamConsumerInput): Shapes.DescribeStreamConsumerOutput {
    const { live, consumer } = this.locate(ctx, input);
    return { ConsumerDescription: { ...this.describeConsumer(live.state, consumer), StreamARN: streamArn(live.state) } };
  }

  list(ctx: RequestContext, input: Shapes.ListStreamConsumersInput): Shapes.ListStreamConsumersOutput {
    const live = this.streamByArn(ctx, input.StreamARN);
    const { state } = live;
    if (input.StreamCreationTimestamp !== undefined && input.StreamCreationTimestamp.getTime() !== state.createdMs) {
      throw resourceNotFound(`Stream ${state.name} under account ${state.account} not found.`);
    }
    const scope: ListingScope = { listing: 'ListStreamConsumers', account: ctx.account, region: ctx.region };
    let after: string | undefined;
    if (input.NextToken !== undefined) {
      const page = this.pageTokens.open(input.NextToken, scope);
      // A token of another stream, or of an earlier stream of the same name.
      if (page.stream?.id !== state.id) throw invalidArgument('Invalid NextToken.');
      after = page.after;
    }
    const limit = input.MaxResults ?? CONSUMER_LIMITS.defaultListResults;
    const consumers = liveConsumers(state, this.options.clock.now())
      .map((consumer) => ({ consumer, key: listKey(consumer) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .filter(({ key }) => after === undefined || key > after);
    const page = consumers.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Consumers: page.map(({ consumer }) => this.describeConsumer(state, consumer)),
      ...(consumers.length > page.length && last
        ? {
            NextToken: this.pageTokens.issue(scope, {
              after: last.key,
              stream: { account: state.account, region: state.region, name: state.name, id: state.id },
            }),
          }
        : {}),
    };
  }

  async deregister(ctx: RequestContext, input: Shapes.DeregisterStreamConsumerInput): Promise<void> {
    const { live, consumer } = this.locate(ctx, input);
    await this.catalog.update(live, (draft) => {
      const now = this.options.clock.now();
      const target = this.prune(draft, now).find((c) => c.name === consumer.name && c.createdMs === consumer.createdMs);
      if (!target) throw this.consumerNotFound(draft, consumer.name);
      if (target.goneMs !== undefined) return; // already DELETING
      target.goneMs = now + this.options.deregisterConsumerMs;
      delete draft.policies[consumerArn(draft, target)];
    });
  }

  /** The stream and the (not gone) consumer a request names, by ConsumerARN or StreamARN + ConsumerName. */
  locate(ctx: RequestContext, ref: ConsumerReference): { live: LiveStream; consumer: ConsumerState } {
    const now = this.options.clock.now();
    if (ref.ConsumerARN !== undefined) {
      const address = parseConsumerArn(ref.ConsumerARN);
      if (!address) throw resourceNotFound(`Consumer ${ref.ConsumerARN} not found.`);
      if (ref.StreamARN !== undefined && ref.StreamARN !== streamArn(address.stream)) {
        throw invalidArgument(`ConsumerARN ${ref.ConsumerARN} and StreamARN ${ref.StreamARN} do not refer to the same stream.`);
      }
      if (ref.ConsumerName !== undefined && ref.ConsumerName !== address.name) {
        throw invalidArgument(`ConsumerARN ${ref.ConsumerARN} and ConsumerName ${ref.ConsumerName} do not refer to the same consumer.`);
      }
      const live = this.catalog.get(address.stream);
      if (!live) throw streamNotFound(address.stream);
      const consumer = consumerByArn(live.state, ref.ConsumerARN, now);
      if (!consumer) throw this.consumerNotFound(live.state, address.name);
      return { live, consumer };
    }
    if (ref.StreamARN === undefined || ref.ConsumerName === undefined) {
      throw invalidArgument('Either ConsumerARN or both StreamARN and ConsumerName must be provided.');
    }
    const live = this.streamByArn(ctx, ref.StreamARN);
    const consumer = liveConsumers(live.state, now).find((c) => c.name === ref.ConsumerName);
    if (!consumer) throw this.consumerNotFound(live.state, ref.ConsumerName);
    return { live, consumer };
  }

  private streamByArn(ctx: RequestContext, arn: string): LiveStream {
    const address = addressOf(ctx, { StreamARN: arn });
    const live = this.catalog.get(address);
    if (!live) throw streamNotFound(address);
    return live;
  }

  /** Drops gone consumers (and their policies) from a draft; returns the live list to change. */
  private prune(draft: StreamState, nowMs: number): ConsumerState[] {
    const kept: ConsumerState[] = [];
    for (const consumer of draft.consumers ?? []) {
      if (consumerStatusOf(consumer, nowMs) !== undefined) kept.push(consumer);
      else delete draft.policies[consumerArn(draft, consumer)];
    }
    draft.consumers = kept;
    return kept;
  }

  private describeConsumer(state: StreamState, consumer: ConsumerState): Shapes.Consumer {
    return {
      ConsumerName: consumer.name,
      ConsumerARN: consumerArn(state, consumer),
      ConsumerStatus: consumerStatusOf(consumer, this.options.clock.now()) ?? 'DELETING',
      ConsumerCreationTimestamp: new Date(consumer.createdMs),
    };
  }

  private consumerNotFound(state: StreamState, name: string): Error {
    return resourceNotFound(`Consumer ${name} under stream ${state.name} and account ${state.account} not found.`);
  }
}

/** Consumers are listed in registration order. */
function listKey(consumer: ConsumerState): string {
  return `${String(consumer.createdMs).padStart(16, '0')}/${consumer.name}`;
}
