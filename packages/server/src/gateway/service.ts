/**
 * What a service plugs into the gateway with: its model, one handler per operation, and optional
 * hooks into the gateway's steps. The gateway knows no service: it routes a request to one of the
 * registered services, decodes the input with the protocol codec the model names, runs the
 * service's hooks and handler, and encodes the answer.
 */
import type { AwsError, ProtocolCodec, ProtocolName, ServiceModel, WireFormat } from '@freshet/aws';
import type { RequestContext } from '../core/context.js';
import type { BufferPool } from '../util/bufferPool.js';
import type { AnyRequest, AnyResponse } from './listener.js';

/** A handler of one operation: the typed, validated input in, the output (or an event source) out. */
export type OperationHandler = (ctx: RequestContext, input: never) => unknown;

export interface Service {
  /** A short name for logs and metrics: `kinesis`, `firehose`. */
  readonly name: string;
  readonly model: ServiceModel;
  /** One per operation of the model; a service's handler interface is generated with all of them required. */
  readonly handlers: object;
  readonly hooks?: ServiceHooks;
  /** Ends what the service runs (subscriptions, timers) before the listener closes. */
  stop?(): void;
}

/**
 * Where a service takes over one of the gateway's steps. Each is optional; each runs per call.
 * decode and encode apply to calls over awsJson, whose wire format the caller picks per request.
 */
export interface ServiceHooks {
  /** Decodes a body in the service's own way (fast paths, worker threads); throws AwsErrors as the codec does. */
  decode?(operation: string, format: WireFormat, body: Buffer): object | Promise<object>;
  /** Runs after decode, before the handler: throttling and the like. Throws an AwsError to refuse the call. */
  admit?(ctx: RequestContext, operation: string, input: object): void;
  /**
   * The ARN of the resource a call acts on, for the authorize step (IAM's Resource); `*` (or no
   * hook) for an action on no resource. Runs after decode, before admit.
   */
  resourceOf?(ctx: RequestContext, operation: string, input: object): string;
  /** The resource policy stored for a resource ARN (a JSON text or a parsed document), if there is one. */
  resourcePolicyOf?(arn: string): unknown;
  /** Encodes an output in the service's own way; big answers may take their memory from `pool`. */
  encode?(operation: string, format: WireFormat, output: unknown, pool: BufferPool): Buffer;
  /** Frames one event of a streaming operation as an event-stream message. */
  encodeEvent?(operation: string, format: WireFormat, event: unknown): Buffer;
}

/** A registered service, with what the gateway derives from its model once. */
export interface RegisteredService {
  readonly service: Service;
  /** Operation name -> handler, for every operation the model has. */
  readonly handlers: ReadonlyMap<string, OperationHandler>;
  /** Operations whose output is an event stream. */
  readonly streaming: ReadonlySet<string>;
  /** For requests with `X-Amz-Target`, if the model speaks awsJson. */
  readonly awsJson?: ProtocolBinding;
  /** For every other request: the model's REST or query protocol, if it has one. */
  readonly rest?: ProtocolBinding;
}

/** The codecs of the protocols other than awsJson, by the model's name for them. */
export type ProtocolCodecs = Partial<Record<ProtocolName, ProtocolCodec>>;

/** One call as it moves through the gateway's steps. */
export interface Call {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly body: Buffer;
  readonly ctx: RequestContext;
  target: RegisteredService;
  operation: string;
  /** awsJson's per-request choice; REST and query protocols leave it 'json'. */
  format: WireFormat;
  input: object;
  /** The error the call was answered with, if it failed (the audit log reads it). */
  error?: AwsError;
}

export interface ProtocolBinding {
  /** Sets the call's operation (and format); throws the AwsError the protocol answers otherwise. */
  route(call: Call): void;
  /**
   * REST protocols: whether the request's method and path name an operation of this service, for
   * telling apart services that sign with one name (Video Streams' three APIs) or requests unsigned.
   */
  recognizes?(req: AnyRequest, target: RegisteredService): boolean;
  decode(call: Call): object | Promise<object>;
  /** Writes a handler's output; resolves once a streamed body is written (rejects if it fails midway). */
  answer(call: Call, output: unknown, pool: BufferPool): void | Promise<void>;
  answerError(call: Call, err: AwsError): void;
}
