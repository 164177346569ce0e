/**
 * The gateway: one HTTP front for every service. Each request goes through the same ordered
 * steps, whichever service it is for:
 *
 *   request id -> CORS -> body -> route -> authenticate -> decode -> service hooks -> handler -> encode
 *
 * Route picks the service (router.ts) and the operation; authenticate reads the SigV4 credential
 * scope into the request context (verification comes with the security layer); decode runs the
 * model's codec or the service's own decode hook; the admit hook may refuse the call (throttling);
 * the handler does the work; encode writes an AWS-shaped answer, or an event stream. Every answer
 * carries `x-amzn-RequestId`. Any error along the way is answered in the routed service's protocol.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AwsError, credentialScopeOf, internalFailure, type WireFormat } from '@freshet/aws';
import type { RequestContext } from '../core/context.js';
import { BufferPool } from '../util/bufferPool.js';
import { AwsJsonBinding } from './awsJsonBinding.js';
import { readBody } from './body.js';
import { handleCors } from './cors.js';
import { serveEventStream } from './eventStreamResponse.js';
import type { AnyRequest, AnyResponse, Handler } from './listener.js';
import { Router } from './router.js';
import { registerService, type RegisteredService, type Service } from './service.js';

const DEFAULT_REGION = 'us-east-1';

export interface GatewayOptions {
  /** The services served, the first being the one unplaceable requests are answered by. */
  services: readonly Service[];
  /** The account every request acts for, until authentication maps credentials to accounts. */
  account: string;
  /** Requests larger than this are refused with 413 before they are parsed. */
  maxBodyBytes: number;
  onInternalError: (err: unknown, operation: string) => void;
}

/** One call as it moves through the steps. */
interface Call {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly body: Buffer;
  readonly ctx: RequestContext;
  target: RegisteredService;
  operation: string;
  format: WireFormat;
  input: object;
}

export function createGateway(options: GatewayOptions): Handler {
  const router = new Router(options.services.map(registerService));
  const binding = new AwsJsonBinding();
  const answers = new BufferPool();

  const run = async (call: Call): Promise<void> => {
    try {
      route(call);
      authenticate(call);
      await decode(call);
      call.target.service.hooks?.admit?.(call.ctx, call.operation, call.input);
      await invoke(call);
    } catch (err) {
      answerError(call, err);
    }
  };

  /** The operation; the wire format first, so that even a refusal is answered in the caller's format. */
  const route = (call: Call): void => {
    const format = binding.formatOf(call.req, call.target);
    if (format) call.format = format;
    call.operation = binding.operationOf(call.req, call.target, format);
  };

  const decode = async (call: Call): Promise<void> => {
    const { hooks, model } = call.target.service;
    call.input = hooks?.decode
      ? await hooks.decode(call.operation, call.format, call.body)
      : binding.decode(model, call.operation, call.format, call.body);
  };

  const invoke = async (call: Call): Promise<void> => {
    const { service, handlers, streaming } = call.target;
    const output = await handlers.get(call.operation)!(call.ctx, call.input as never);
    if (streaming.has(call.operation)) {
      const encodeEvent = (event: unknown) => service.hooks!.encodeEvent!(call.operation, call.format, event);
      const onError = (err: unknown) => options.onInternalError(err, call.operation);
      return serveEventStream(call.res, call.format, output as never, encodeEvent, onError);
    }
    const body = service.hooks?.encode
      ? service.hooks.encode(call.operation, call.format, output, answers)
      : binding.encode(service.model, call.operation, call.format, output);
    send(call.res, 200, binding.contentType(call.target, call.format), body, answers);
  };

  const answerError = (call: Call, err: unknown): void => {
    let failure: AwsError;
    if (err instanceof AwsError) {
      failure = err;
    } else {
      options.onInternalError(err, call.operation || '(none)');
      failure = internalFailure(err);
    }
    call.res.setHeader('x-amzn-ErrorType', failure.code);
    send(call.res, failure.status, binding.contentType(call.target, call.format), binding.encodeError(call.format, failure));
  };

  return (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('x-amz-id-2', randomBytes(48).toString('base64'));
    if (handleCors(req, res)) return;
    readBody(req, options.maxBodyBytes, (body) => {
      const call: Call = {
        req,
        res,
        body: body ?? EMPTY,
        ctx: { account: options.account, region: DEFAULT_REGION, requestId },
        target: router.fallback,
        operation: '',
        format: 'json',
        input: NO_INPUT,
      };
      if (body === undefined) return answerError(call, new AwsError('RequestEntityTooLargeException', 'Request entity too large', 413));
      call.target = router.route(req);
      void run(call);
    });
  };
}

/**
 * The caller as its SigV4 credential scope names it: the region its resources live in (unsigned
 * requests act in us-east-1) and its access key. Signatures are verified by the security layer.
 */
function authenticate(call: Call): void {
  const scope = credentialScopeOf(call.req.headers.authorization);
  if (!scope) return;
  call.ctx.region = scope.region;
  call.ctx.principal = { accessKeyId: scope.accessKeyId };
}

const EMPTY = Buffer.alloc(0);
const NO_INPUT = {};

/** Writes the answer; a body from `pool` goes back to it once the response is written. */
function send(res: AnyResponse, status: number, contentType: string, body: Buffer, pool?: BufferPool): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', body.length);
  // The end callback comes once nothing will read the body again: written to the socket (or by
  // the HTTP/2 session), or never to be written. A response whose write fails does not call it,
  // and its body is left to the garbage collector.
  if (pool) res.end(body, () => pool.give(body));
  else res.end(body);
}
