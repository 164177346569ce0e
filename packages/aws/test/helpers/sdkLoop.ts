/**
 * Runs a real AWS SDK v3 client against one of our codecs without a network: the client's own
 * serializer builds the request, our codec decodes it, a test handler answers, our codec encodes
 * the answer and the client's own deserializer reads it. Each side is checked by the other.
 */
import { Readable } from 'node:stream';
import type { HttpAnswer, HttpRequestParts, ProtocolCodec, ServiceModel } from '../../src/index.js';
import { AwsError } from '../../src/index.js';

/** What the SDK hands a request handler (the parts of @smithy/protocol-http's HttpRequest we read). */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function searchParamsOf(query: SdkRequest['query']): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null) params.append(key, '');
    else for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return params;
}

export async function requestPartsOf(request: SdkRequest): Promise<HttpRequestParts> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  // The SDK percent-encodes labels into the path; the gateway hands us the raw path, as here.
  return { method: request.method, path: request.path, query: searchParamsOf(request.query), headers, body: await bytesOf(request.body) };
}

export interface Served {
  operation?: string;
  input?: object;
  request?: HttpRequestParts;
}

/** A request handler for an SDK client that serves through `codec` and records what it decoded. */
export function loopHandler(
  model: ServiceModel,
  codec: ProtocolCodec,
  handle: (operation: string, input: any) => unknown,
  served: Served = {},
) {
  return {
    served,
    async handle(request: SdkRequest) {
      const parts = await requestPartsOf(request);
      served.request = parts;
      const answer = await answerOf(model, codec, parts, handle, served);
      const body = answer.body instanceof Buffer ? Readable.from([answer.body]) : Readable.from(answer.body as AsyncIterable<Uint8Array>);
      return { response: { statusCode: answer.status, reason: '', headers: answer.headers, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
}

async function answerOf(
  model: ServiceModel,
  codec: ProtocolCodec,
  parts: HttpRequestParts,
  handle: (operation: string, input: any) => unknown,
  served: Served,
): Promise<HttpAnswer> {
  try {
    const operation = codec.operationOf(model, parts);
    if (!operation) throw new AwsError('UnknownOperationException', `no operation for ${parts.method} ${parts.path}`, 404);
    served.operation = operation;
    const input = codec.decodeInput(model, operation, parts);
    served.input = input;
    return codec.encodeOutput(model, operation, await handle(operation, input), 'test-request-id');
  } catch (err) {
    if (err instanceof AwsError) return codec.encodeError(model, err, 'test-request-id');
    throw err;
  }
}

export const testCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
