/**
 * One audit record, shaped like a CloudTrail event (record version 1.09): who called (userIdentity,
 * source address, user agent), what (eventSource, eventName, requestParameters naming the
 * resource, never record data), on which resources, when, and how it ended (errorCode,
 * errorMessage). Kinesis' data events are those CloudTrail logs as data events.
 */
import { randomUUID } from 'node:crypto';
import { quotable } from '@freshet/aws';
import type { Principal, RequestContext } from '../../core/context.js';
import { formatArn } from '../../core/arn.js';

/** What the audit log reads of a call: the gateway's Call has all of it. */
export interface AuditedCall {
  readonly req: { readonly headers: Record<string, string | string[] | undefined>; readonly socket: { readonly remoteAddress?: string } };
  readonly res: { readonly statusCode: number; once(event: 'close', listener: () => void): unknown };
  readonly ctx: RequestContext;
  readonly target: { readonly service: { readonly model: { readonly metadata: { readonly endpointPrefix: string } } } };
  readonly operation: string;
  readonly input: object;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Kinesis Data Streams' calls that CloudTrail records as data events (the rest are management events). */
const DATA_EVENTS: Record<string, ReadonlySet<string>> = {
  kinesis: new Set(['GetRecords', 'GetShardIterator', 'PutRecord', 'PutRecords', 'SubscribeToShard']),
};

/**
 * Input members copied into requestParameters: small values that name what was acted on. Record
 * data, partition keys, iterators, tokens and policy documents are never copied.
 */
const IDENTIFYING_MEMBERS = new Set([
  'StreamName',
  'StreamARN',
  'ConsumerName',
  'ConsumerARN',
  'ResourceARN',
  'ShardId',
  'ShardIteratorType',
  'ShardCount',
  'TargetShardCount',
  'ScalingType',
  'ShardToSplit',
  'ShardToMerge',
  'AdjacentShardToMerge',
  'RetentionPeriodHours',
  'EncryptionType',
  'KeyId',
  'Limit',
]);

/**
 * Input members whose values are record data or bearer tokens: AWS's error messages quote them
 * (a partition key too long, a hash key out of range, an expired NextToken), the log does not.
 */
const CONCEALED_MEMBERS = new Set(['PartitionKey', 'ExplicitHashKey', 'ShardIterator', 'NextToken', 'Policy']);
/**
 * A validation message's line, `Value '<v>' at '<path>' failed to satisfy constraint: `: its
 * value is concealed when the path ends in a concealed member. The value is matched lazily, so a
 * value that itself holds `' at '` is still taken whole.
 */
const VALIDATION_LINE = /Value '[\s\S]*?' at '([\w.]*)' failed to satisfy constraint: /g;
/** Values this short are concealed only where quoted, not wherever the text occurs. */
const MIN_BARE_CONCEALED = 16;

/** An error message is cut here: AWS's messages quote refused values, up to 64 KiB of them. */
const MAX_ERROR_MESSAGE = 1024;

export interface AuditEvent {
  eventVersion: string;
  userIdentity: UserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string | undefined;
  userAgent: string | undefined;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  requestID: string | undefined;
  eventID: string;
  readOnly: boolean;
  resources?: Array<{ accountId: string; type: string; ARN: string }>;
  eventType: 'AwsApiCall';
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: 'Management' | 'Data';
  tlsDetails?: { tlsVersion: string; cipherSuite: string; clientProvidedHostHeader: string | undefined };
}

interface UserIdentity {
  type: 'IAMUser' | 'AssumedRole' | 'Root' | 'Unknown';
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
}

/**
 * What is read of a call as it starts: its time, and facts of its connection (an HTTP/2 request's
 * socket is a proxy that no longer answers once the stream has closed).
 */
export interface CallStart {
  time: number;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  tls: AuditEvent['tlsDetails'];
}

export function callStart(call: AuditedCall, time: number): CallStart {
  const { req } = call;
  return { time, sourceIp: unmapped(req.socket.remoteAddress), userAgent: header(req.headers['user-agent']), tls: tlsDetailsOf(req) };
}

/** The event of a call that has been answered (or cut off). */
export function auditEvent(call: AuditedCall, start: CallStart): AuditEvent {
  const { ctx } = call;
  const service = call.target.service.model.metadata.endpointPrefix;
  const eventName = call.operation || '(unknown)';
  const data = DATA_EVENTS[service]?.has(eventName) ?? false;
  const resources = resourcesOf(service, call.input, ctx);
  return {
    eventVersion: '1.09',
    userIdentity: identityOf(ctx.principal),
    eventTime: new Date(start.time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: ctx.region,
    sourceIPAddress: ctx.sourceIp ?? start.sourceIp,
    userAgent: ctx.userAgent ?? start.userAgent,
    ...(call.error
      ? { errorCode: call.error.code, errorMessage: truncated(concealed(call.error.message, call.input)) }
      : call.res.statusCode >= 400
        ? { errorCode: String(call.res.statusCode) }
        : {}),
    requestParameters: requestParameters(call.input),
    requestID: ctx.requestId,
    eventID: randomUUID(),
    readOnly: /^(Describe|Get|List|Subscribe)/.test(eventName),
    ...(resources.length > 0 ? { resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: !data,
    recipientAccountId: ctx.account,
    eventCategory: data ? 'Data' : 'Management',
    ...(start.tls ? { tlsDetails: start.tls } : {}),
  };
}

function identityOf(principal: Principal | undefined): UserIdentity {
  if (!principal) return { type: 'Unknown' };
  const { arn, account, accessKeyId } = principal;
  const type = !arn ? 'Unknown' : arn.endsWith(':root') ? 'Root' : arn.includes(':assumed-role/') ? 'AssumedRole' : 'IAMUser';
  return { type, ...(arn ? { arn } : {}), ...(account ? { accountId: account } : {}), accessKeyId };
}

function requestParameters(input: object): Record<string, unknown> | null {
  const picked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!IDENTIFYING_MEMBERS.has(name)) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    // CloudTrail writes request members in lower camel case (streamName, shardId).
    picked[name[0]!.toLowerCase() + name.slice(1)] = value;
  }
  return Object.keys(picked).length > 0 ? picked : null;
}

/** The stream or consumer a Kinesis call names, by ARN or by name in the caller's account and region. */
function resourcesOf(service: string, input: object, ctx: RequestContext): NonNullable<AuditEvent['resources']> {
  if (service !== 'kinesis') return [];
  const members = input as Record<string, unknown>;
  const arn =
    text(members.ConsumerARN) ??
    text(members.StreamARN) ??
    text(members.ResourceARN) ??
    (text(members.StreamName) &&
      formatArn({ service: 'kinesis', region: ctx.region, account: ctx.account, resource: `stream/${text(members.StreamName)!}` }));
  if (!arn) return [];
  const type = arn.includes('/consumer/') ? 'AWS::Kinesis::StreamConsumer' : 'AWS::Kinesis::Stream';
  return [{ accountId: arn.split(':')[4] ?? ctx.account, type, ARN: arn }];
}

/** CloudTrail's tlsDetails, for calls that came over TLS (HTTP/2's socket is a proxy with the same getters). */
function tlsDetailsOf(req: AuditedCall['req']): AuditEvent['tlsDetails'] {
  const socket = req.socket as {
    encrypted?: boolean;
    getProtocol?: () => string | null;
    getCipher?: () => { standardName?: string; name: string };
  };
  if (!socket.encrypted || !socket.getProtocol || !socket.getCipher) return undefined;
  const cipher = socket.getCipher();
  return {
    tlsVersion: socket.getProtocol() ?? 'unknown',
    cipherSuite: cipher.standardName ?? cipher.name,
    clientProvidedHostHeader: header(req.headers.host) ?? header(req.headers[':authority']),
  };
}

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) as the IPv4 address it is. */
function unmapped(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The message with the values of concealed members replaced by `***`: those a validation error
 * quotes (the body was refused, so the input is not known; the member path says which they are),
 * and those of the input a handler refused, quoted or bare.
 */
function concealed(message: string, input: object): string {
  let out = message.replace(VALIDATION_LINE, (line, path: string) =>
    CONCEALED_MEMBERS.has(upperFirst(path.slice(path.lastIndexOf('.') + 1)))
      ? `Value '***' at '${path}' failed to satisfy constraint: `
      : line,
  );
  for (const value of concealedValues(input)) {
    out = out.replaceAll(`'${quotable(value)}'`, "'***'");
    if (value.length >= MIN_BARE_CONCEALED) out = out.replaceAll(value, '***');
  }
  return out;
}

/** The string values of concealed members anywhere in the input (PutRecords' records included). */
function concealedValues(input: unknown, found: string[] = []): string[] {
  if (Array.isArray(input)) {
    for (const item of input) concealedValues(item, found);
  } else if (typeof input === 'object' && input !== null && !ArrayBuffer.isView(input)) {
    for (const [name, value] of Object.entries(input)) {
      if (typeof value === 'string') {
        if (value !== '' && CONCEALED_MEMBERS.has(name)) found.push(value);
      } else if (typeof value === 'object') {
        concealedValues(value, found);
      }
    }
  }
  return found;
}

function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function truncated(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}...` : message;
}
