/**
 * Tags and resource policies: attributes of a resource named by ARN (a stream, or one of its
 * enhanced fan-out consumers), stored in the owning stream's state: a consumer's tags in its
 * ConsumerState, every policy in the stream's `policies` by ARN.
 */
import { systemClock, type Clock } from '../../../core/clock.js';
import { parsePolicy } from '../../../security/policy/index.js';
import { invalidArgument, resourceNotFound } from '../errors.js';
import type * as Shapes from '../shapes.generated.js';
import type { LiveStream, StreamCatalog } from './catalog.js';
import { canonicalResourceArn } from './authorization.js';
import { checkConsumerTagCount, consumerByArn, isConsumerArn } from './consumers.js';
import { addressOf, findStream, type RequestContext } from './context.js';
import { LIMITS } from './options.js';
import { parseStreamArn, type ConsumerState, type StreamState } from './streamState.js';

export class ResourceTagging {
  constructor(
    private readonly catalog: StreamCatalog,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * AWS's order: the call's own tag count before the stream is looked up, the characters and the
   * stream's count after (docs/conformance.md).
   */
  async addTagsToStream(ctx: RequestContext, input: Shapes.AddTagsToStreamInput): Promise<void> {
    const address = addressOf(ctx, input);
    this.checkTagCount(address.name, address.account, Object.keys(input.Tags).length);
    const live = findStream(this.catalog, ctx, input);
    checkTagCharacters(address.name, address.account, input.Tags);
    await this.addTags(live, input.Tags);
  }

  async removeTagsFromStream(ctx: RequestContext, input: Shapes.RemoveTagsFromStreamInput): Promise<void> {
    await this.removeTags(findStream(this.catalog, ctx, input), input.TagKeys);
  }

  listTagsForStream(ctx: RequestContext, input: Shapes.ListTagsForStreamInput): Shapes.ListTagsForStreamOutput {
    const { state } = findStream(this.catalog, ctx, input);
    const limit = input.Limit ?? 50;
    let keys = Object.keys(state.tags).sort();
    const start = input.ExclusiveStartTagKey;
    if (start !== undefined) keys = keys.filter((key) => key > start);
    const page = keys.slice(0, limit);
    return { Tags: page.map((Key) => ({ Key, Value: state.tags[Key] ?? '' })), HasMoreTags: keys.length > page.length };
  }

  async tagResource(ctx: RequestContext, input: Shapes.TagResourceInput): Promise<void> {
    const live = this.resource(ctx, input.ResourceARN);
    if (!isConsumerArn(input.ResourceARN)) return this.addTags(live, input.Tags);
    await this.catalog.update(live, (draft) => {
      const consumer = this.consumerIn(draft, input.ResourceARN);
      const merged = { ...consumer.tags, ...input.Tags };
      checkConsumerTagCount(consumer.name, Object.keys(merged).length);
      consumer.tags = merged;
    });
  }

  async untagResource(ctx: RequestContext, input: Shapes.UntagResourceInput): Promise<void> {
    const live = this.resource(ctx, input.ResourceARN);
    if (!isConsumerArn(input.ResourceARN)) return this.removeTags(live, input.TagKeys);
    await this.catalog.update(live, (draft) => {
      const consumer = this.consumerIn(draft, input.ResourceARN);
      for (const key of input.TagKeys) delete consumer.tags[key];
    });
  }

  listTagsForResource(ctx: RequestContext, input: Shapes.ListTagsForResourceInput): Shapes.ListTagsForResourceOutput {
    const { state } = this.resource(ctx, input.ResourceARN);
    const tags = isConsumerArn(input.ResourceARN) ? this.consumerIn(state, input.ResourceARN).tags : state.tags;
    return {
      Tags: Object.keys(tags)
        .sort()
        .map((Key) => ({ Key, Value: tags[Key] ?? '' })),
    };
  }

  async putResourcePolicy(ctx: RequestContext, input: Shapes.PutResourcePolicyInput): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.Policy);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    } catch {
      throw invalidArgument('Policy is not a valid JSON document.');
    }
    // Checked as it is stored, since the authorize step evaluates it on every call to the resource.
    try {
      parsePolicy(parsed, 'resource');
    } catch (err) {
      throw invalidArgument(`Policy is not a valid resource policy: ${(err as Error).message}`);
    }
    const live = this.resource(ctx, input.ResourceARN);
    await this.catalog.update(live, (draft) => {
      // Kept under the ARN's one spelling, where the authorize step looks it up.
      draft.policies[canonicalResourceArn(input.ResourceARN)] = input.Policy;
    });
  }

  getResourcePolicy(ctx: RequestContext, input: Shapes.GetResourcePolicyInput): Shapes.GetResourcePolicyOutput {
    const { state } = this.resource(ctx, input.ResourceARN);
    return { Policy: state.policies[canonicalResourceArn(input.ResourceARN)] ?? '{}' };
  }

  async deleteResourcePolicy(ctx: RequestContext, input: Shapes.DeleteResourcePolicyInput): Promise<void> {
    const live = this.resource(ctx, input.ResourceARN);
    const arn = canonicalResourceArn(input.ResourceARN);
    if (live.state.policies[arn] === undefined) {
      throw resourceNotFound(`No resource policy found for resource ARN ${input.ResourceARN}.`);
    }
    await this.catalog.update(live, (draft) => {
      delete draft.policies[arn];
    });
  }

  /** AWS's refusal of more tags than a stream may have (50, today's limit per call and per stream). */
  checkTagCount(streamName: string, account: string, count: number): void {
    if (count <= LIMITS.maxTagsPerStream) return;
    throw invalidArgument(
      `Failed to add tags to stream ${streamName} under account ${account} because a given stream cannot have ` +
        `more than ${LIMITS.maxTagsPerStream} tags associated with it.`,
    );
  }

  /** The stream a resource ARN belongs to (the stream itself, or later one of its consumers). */
  private resource(_ctx: RequestContext, arn: string): LiveStream {
    const streamPart = arn.replace(/\/consumer\/.*$/, '');
    const address = parseStreamArn(streamPart);
    if (!address) throw invalidArgument(`Invalid ResourceARN ${arn}.`);
    const live = this.catalog.get(address);
    if (!live || (streamPart !== arn && !this.hasConsumer(live, arn))) {
      throw resourceNotFound(`Resource ${arn} not found.`);
    }
    return live;
  }

  private hasConsumer(live: LiveStream, arn: string): boolean {
    return consumerByArn(live.state, arn, this.clock.now()) !== undefined;
  }

  /** The consumer a consumer ARN names in a state (or a draft of it). */
  private consumerIn(state: StreamState, arn: string): ConsumerState {
    const consumer = consumerByArn(state, arn, this.clock.now());
    if (!consumer) throw resourceNotFound(`Resource ${arn} not found.`);
    return consumer;
  }

  private async addTags(live: LiveStream, tags: Record<string, string>): Promise<void> {
    await this.catalog.update(live, (draft) => {
      const merged = { ...draft.tags, ...tags };
      this.checkTagCount(draft.name, draft.account, Object.keys(merged).length);
      draft.tags = merged;
    });
  }

  private async removeTags(live: LiveStream, keys: string[]): Promise<void> {
    await this.catalog.update(live, (draft) => {
      for (const key of keys) delete draft.tags[key];
    });
  }
}

/** What a tag key or value may hold besides `%`: Unicode letters, digits and white space, and `_ . / = + - @ :`. */
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@%]*$/u;

/**
 * AWS's two refusals of characters in tags, in its order: any outside the set (`;`, `,`, a tab, a
 * newline...), then `%`, which the first message lists as valid but the second refuses.
 */
function checkTagCharacters(streamName: string, account: string, tags: Record<string, string>): void {
  const texts = Object.entries(tags).flat();
  if (texts.some((text) => !TAG_CHARACTERS.test(text))) {
    throw invalidArgument(
      'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :.',
    );
  }
  if (texts.some((text) => text.includes('%'))) {
    throw invalidArgument(
      `Failed to add tags to stream ${streamName} under account ${account} because some tags contained illegal characters. ` +
        "The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'.",
    );
  }
}
