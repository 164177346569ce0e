/**
 * The Data Streams engine: the stream catalogue with its control plane and data plane, over a
 * MetadataStore and a RecordStore. It knows nothing of HTTP or wire formats.
 */
import { randomBytes } from 'node:crypto';
import type { Timer } from '../../../core/clock.js';
import { createLogger } from '../../../core/logger.js';
import type { MetadataStore, RecordStore } from '../../../storage/types.js';
import { StreamCatalog } from './catalog.js';
import { ConsumerRegistry } from './consumers.js';
import { ControlPlane } from './controlPlane.js';
import { DataPlane } from './dataPlane.js';
import { FanOut } from './fanout.js';
import { applyPendingReshard, Resharding } from './resharding.js';
import { ResourceAuthorization } from './authorization.js';
import { Autoscaler } from './autoscaler.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './options.js';
import { PageTokens } from './pageTokens.js';
import { ShardIteratorCodec } from './shardIterators.js';
import { TokenSeal } from './tokenSeal.js';
import { ThroughputLimits } from './throughput.js';

const ITERATOR_SECRET_KEY = 'config/iterator-secret';
/** Expired records are reclaimed at most this often (and at least every retention hour / 4). */
const MAX_TRIM_INTERVAL_MS = 60_000;

export class Engine {
  readonly options: EngineOptions;
  readonly control: ControlPlane;
  readonly data: DataPlane;
  readonly resharding: Resharding;
  readonly limits: ThroughputLimits;
  readonly autoscaler: Autoscaler;
  /** Enhanced fan-out: registered consumers, and SubscribeToShard's push path. */
  readonly consumers: ConsumerRegistry;
  readonly fanout: FanOut;
  /** The resources calls act on and their resource policies, for the gateway's authorize step. */
  readonly authorization: ResourceAuthorization;
  private trimTimer: Timer | undefined;

  private constructor(
    private readonly catalog: StreamCatalog,
    metadata: MetadataStore,
    secret: Buffer,
    options: EngineOptions,
  ) {
    this.options = options;
    // One secret seals both kinds of token, each with a key of its own (tokenSeal.ts).
    const iterators = new ShardIteratorCodec(secret);
    const pageTokens = new PageTokens(new TokenSeal(secret, 'NextToken', 'base64url'), options.clock);
    this.control = new ControlPlane(catalog, metadata, options, pageTokens);
    this.limits = new ThroughputLimits(options.limits, options.clock);
    this.resharding = new Resharding(catalog, this.control, options);
    this.autoscaler = new Autoscaler(catalog, this.control, this.resharding, options);
    this.data = new DataPlane(catalog, this.control, iterators, this.limits, this.autoscaler, options);
    this.consumers = new ConsumerRegistry(catalog, options, pageTokens);
    this.fanout = new FanOut(catalog, this.control, this.data, options, () => this.limits.enabled);
    this.data.onAppended = (live, shardIndex) => this.fanout.appended(live, shardIndex);
    this.authorization = new ResourceAuthorization(catalog, iterators, pageTokens, options.clock);
  }

  static async open(metadata: MetadataStore, records: RecordStore, options: Partial<EngineOptions> = {}): Promise<Engine> {
    const settings: EngineOptions = {
      ...DEFAULT_ENGINE_OPTIONS,
      ...options,
      logger: options.logger ?? DEFAULT_ENGINE_OPTIONS.logger ?? createLogger(),
    };
    const catalog = new StreamCatalog(metadata, records, {
      clock: settings.clock,
      logger: settings.logger,
      completeUpdate: applyPendingReshard,
    });
    await catalog.load();
    const engine = new Engine(catalog, metadata, await tokenSecret(metadata), settings);
    engine.scheduleTrim();
    engine.autoscaler.start();
    return engine;
  }

  /** Reclaims the space of records past each stream's retention. */
  async trimExpired(): Promise<void> {
    for (const live of this.catalog.all()) {
      await live.log.trim(this.control.trimHorizonMs(live.state));
    }
  }

  async close(): Promise<void> {
    this.fanout.stop();
    this.options.clock.clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
    this.autoscaler.stop();
    await this.catalog.close();
  }

  private scheduleTrim(): void {
    const interval = Math.max(50, Math.min(MAX_TRIM_INTERVAL_MS, this.options.retentionHourMs / 4));
    this.trimTimer = this.options.clock.setTimeout(() => {
      this.trimExpired()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'retention trim failed; retried at the next interval'))
        .finally(() => {
          if (this.trimTimer) this.scheduleTrim();
        });
    }, interval);
    this.trimTimer.unref();
  }
}

/** The HMAC key of shard iterators and NextTokens: made once per installation, kept with the metadata. */
async function tokenSecret(metadata: MetadataStore): Promise<Buffer> {
  const existing = await metadata.get<string>(ITERATOR_SECRET_KEY);
  if (existing) return Buffer.from(existing.value, 'base64');
  const secret = randomBytes(32);
  await metadata.put(ITERATOR_SECRET_KEY, secret.toString('base64'), 0);
  return secret;
}
