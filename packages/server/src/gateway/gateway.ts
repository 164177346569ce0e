/**
 * The gateway: one HTTP front for every service. Each request goes through the same ordered
 * steps, whichever service it is for:
 *
 *   request id -> CORS -> body -> route -> decode -> authenticate -> authorize -> service hooks -> handler -> encode
 *
 * Route picks the service and its protocol binding (router.ts), and the binding the operation
 * (refusing, in AWS's order, what it cannot take); decode's refusal of an unreadable body is
 * answered before authentication, its other refusals after, as AWS orders them; authenticate reads the SigV4 signature (refusing requests without one) and, with `--auth`,
 * verifies it, filling the request context; decode runs the protocol's codec or the service's own decode hook; the
 * admit hook may refuse the call (throttling); the handler does the work; encode writes an
 * AWS-shaped answer, or an event stream. Every answer carries `x-amzn-RequestId`. An error
 * anywhere is answered in the routed service's protocol.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AwsError,
  credentialScopeOf,
  internalFailure,
  isUnreadableBody,
  queryCodec,
  readSignature,
  restJsonCodec,
  restXmlCodec,
  type SignatureHeaders,
  type SignedRequest,
} from '@freshet/aws';
import type { Principal } from '../core/context.js';
import { RegionList } from '../core/regions.js';
import { BufferPool } from '../util/bufferPool.js';
import type { Call, ProtocolBinding } from './service.js';
import { BodyBudget, readBody } from './body.js';
import { authorize } from './authorize.js';
import { handleCors } from './cors.js';
import { serveEventStream } from './eventStreamResponse.js';
import type { Handler } from './listener.js';
import { queryOf, Router, type Route } from './router.js';
import { registerService } from './registry.js';
import type { ProtocolCodecs, Service } from './service.js';

export interface GatewayOptions {
  /** The services served, the first being the one unplaceable requests are answered by. */
  services: readonly Service[];
  /** The codecs of protocols other than awsJson, by model name (default: restJson1, restXml, awsQuery of @freshet/aws). */
  codecs?: ProtocolCodecs;
  /** The account every request acts for, until authentication maps credentials to accounts. */
  account: string;
  /** The regions a credential scope may name (default: every AWS region); others are refused. */
  regions?: RegionList;
  /**
   * Verifies signatures (`--auth`): the principal that signed, or the AwsError why not. Without
   * one, a signature's form and region are checked but not the signature itself.
   */
  authenticator?: { verify(request: SignedRequest): Principal };
  /** Requests larger than this are refused with 413 before they are parsed. */
  maxBodyBytes: number;
  /**
   * Bytes of request bodies held at once across all connections, from their first byte until
   * their answer is written; a body that would go over is refused with 503 (default: no limit).
   */
  bodyBudgetBytes?: number;
  onInternalError: (err: unknown, operation: string) => void;
  /**
   * Told of every API call once its body is in (or refused), before its operation is found and it is
   * authenticated: the audit log follows it to its answer (`call.res` 'close') and reads then what
   * was found on the way (operation, principal, input, error).
   */
  onCall?: (call: Call) => void;
}

export function createGateway(options: GatewayOptions): Handler {
  const codecs = options.codecs ?? DEFAULT_CODECS;
  const router = new Router(options.services.map((service) => registerService(service, codecs)));
  const answers = new BufferPool();
  const bodyBudget = new BodyBudget(options.bodyBudgetBytes ?? Infinity);
  const regions = options.regions ?? new RegionList();

  const run = async (call: Call, binding: ProtocolBinding, query: URLSearchParams | undefined): Promise<void> => {
    try {
      binding.route(call);
      // AWS refuses a body it cannot read before it looks at the signature, and the rest of what is
      // wrong with a body (a member's type, a value out of range) after.
      const decoded = await settled(() => binding.decode(call));
      if ('error' in decoded && isUnreadableBody(decoded.error)) throw decoded.error;
      authenticate(call, query, regions, options.authenticator);
      if ('error' in decoded) throw decoded.error;
      call.input = decoded.input;
      authorize(call);
      call.target.service.hooks?.admit?.(call.ctx, call.operation, call.input);
      await invoke(call, binding);
    } catch (err) {
      answerError(call, binding, err);
    }
  };

  const invoke = async (call: Call, binding: ProtocolBinding): Promise<void> => {
    const { service, handlers, streaming } = call.target;
    const output = await handlers.get(call.operation)!(call.ctx, call.input as never);
    if (!streaming.has(call.operation)) return binding.answer(call, output, answers);
    const encodeEvent = (event: unknown) => service.hooks!.encodeEvent!(call.operation, call.format, event);
    const onError = (err: unknown) => options.onInternalError(err, call.operation);
    serveEventStream(call.res, call.format, output as never, encodeEvent, onError);
  };

  const answerError = (call: Call, binding: ProtocolBinding, err: unknown): void => {
    if (call.res.headersSent) {
      // The answer failed while its body was being written (a streamed payload): too late for an
      // error answer, so the client sees the response reset rather than wait for its end.
      options.onInternalError(err, call.operation);
      call.res.destroy();
      return;
    }
    call.error = err instanceof AwsError ? err : internalFailure(err);
    if (err instanceof AwsError) return binding.answerError(call, err);
    options.onInternalError(err, call.operation || '(none)');
    binding.answerError(call, call.error);
  };

  return (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    if (handleCors(req, res)) return;
    // AWS's extended request id, on every answer but a CORS preflight: 72 random bytes, as AWS's own are.
    res.setHeader('x-amz-id-2', randomBytes(72).toString('base64'));
    // Routing reads the headers, method and URL only: done first, so that even a body over the
    // limit is refused in the protocol of the service it was for.
    const query = queryOf(req.url);
    const scope = credentialScopeOf(req.headers.authorization, query);
    let route: Route;
    let unroutable: unknown;
    try {
      route = router.route(req, scope);
    } catch (err) {
      route = router.fallbackRoute();
      unroutable = err;
    }
    // The body's memory is the request's until its answer is written (the handler may hold it).
    const share = bodyBudget.share();
    res.once('close', () => share.release());
    readBody(req, options.maxBodyBytes, share, (body) => {
      const call: Call = {
        req,
        res,
        body: Buffer.isBuffer(body) ? body : EMPTY,
        ctx: {
          account: options.account,
          region: regions.defaultRegion,
          requestId,
          ...(req.socket.remoteAddress !== undefined ? { sourceIp: req.socket.remoteAddress } : {}),
          secureTransport: (req.socket as { encrypted?: boolean }).encrypted === true,
          ...(typeof req.headers['user-agent'] === 'string' ? { userAgent: req.headers['user-agent'] } : {}),
        },
        target: route.target,
        operation: '',
        format: 'json',
        input: NO_INPUT,
      };
      options.onCall?.(call);
      if (unroutable !== undefined) return answerError(call, route.binding, unroutable);
      if (body === 'too-large') {
        return answerError(call, route.binding, new AwsError('RequestEntityTooLargeException', 'Request entity too large', 413));
      }
      // AWS's common error for a server that cannot take the request now: SDKs retry a 503 with backoff.
      if (body === 'over-budget') return answerError(call, route.binding, serviceUnavailable());
      run(call, route.binding, query).catch((err: unknown) => {
        // Only a failure to write an error answer lands here.
        options.onInternalError(err, call.operation || '(none)');
        call.res.destroy();
      });
    });
  };
}

/**
 * Who signed the request, as AWS finds out before anything else: a request with no SigV4 at all
 * is refused (MissingAuthenticationTokenException), a malformed one too (IncompleteSignatureException
 * naming what is missing, from @freshet/aws's readSignature), and a credential scoped to a region
 * not served. The region becomes the request's. With an authenticator the signature is verified
 * and the principal's account becomes the request's account; without one the access key is taken
 * at its word.
 */
function authenticate(
  call: Call,
  query: URLSearchParams | undefined,
  regions: RegionList,
  authenticator: GatewayOptions['authenticator'],
): void {
  const signature = readSignature(call.req.headers as SignatureHeaders, query);
  if (!signature) throw missingAuthenticationToken();
  const { region, accessKeyId } = signature.credential;
  if (!regions.has(region)) throw invalidRegion(region);
  call.ctx.region = region;
  if (!authenticator) {
    call.ctx.principal = { accessKeyId };
    return;
  }
  const { metadata } = call.target.service.model;
  const principal = authenticator.verify({
    method: call.req.method ?? 'GET',
    url: call.req.url ?? '/',
    rawHeaders: call.req.rawHeaders,
    body: call.body,
    signature,
    signingName: metadata.signingName ?? metadata.endpointPrefix,
  });
  call.ctx.principal = principal;
  call.ctx.account = principal.account ?? call.ctx.account;
}

/**
 * AWS's answer to a request that carries no signature at all, header or query (the common error
 * MissingAuthenticationToken, HTTP 403; awsJson APIs name it with "Exception").
 */
const missingAuthenticationToken = () => new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);

/**
 * AWS's answer to a credential scoped to a region it does not serve, from the signature check that
 * runs before any service: `InvalidSignatureException`, HTTP 400 on awsJson APIs, with a message
 * that ends in ". " (Kinesis: "Credential should be scoped to a valid region, not 'vpce'", Status
 * Code: 400, Error Code: InvalidSignatureException, snowplow/enrich#39; DynamoDB, the same
 * protocol: "Credential should be scoped to a valid region, not 'eu-east-2'. ",
 * aws/aws-sdk-js#4002). The region is quoted whole: the header it came in is bounded by Node's
 * header size limit.
 */
function invalidRegion(region: string): AwsError {
  return new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `, 400);
}

/** What a function returns or throws (at once or later), to be acted on later. */
async function settled<T>(run: () => T | Promise<T>): Promise<{ input: T } | { error: unknown }> {
  try {
    return { input: await run() };
  } catch (error) {
    return { error };
  }
}

const serviceUnavailable = () =>
  new AwsError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 503);
const DEFAULT_CODECS: ProtocolCodecs = { 'rest-json': restJsonCodec, 'rest-xml': restXmlCodec, query: queryCodec };
const EMPTY = Buffer.alloc(0);
const NO_INPUT = {};
