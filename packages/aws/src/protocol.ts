/**
 * What every HTTP protocol codec of this package offers the gateway: find the operation a request
 * names, decode its input from the request's parts, encode an output or an error as an HTTP
 * answer. One implementation per protocol the models name (`rest-json`, `rest-xml`, `query`);
 * awsJson, whose callers choose JSON or CBOR per request, has its own functions (awsJson.ts).
 */
import type { AwsError } from './errors.js';
import type { ServiceModel } from './model.js';

/** A request as the gateway hands it over: nothing read from it yet but its body. */
export interface HttpRequestParts {
  method: string;
  /** The raw (still percent-encoded) path, without the query. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  /** A streaming blob payload (GetMedia) may answer with an iterable of chunks. */
  body: Buffer | AsyncIterable<Uint8Array>;
}

export interface ProtocolCodec {
  /** The operation a request names in this model, or undefined if it names none. */
  operationOf(model: ServiceModel, request: HttpRequestParts): string | undefined;
  /** The validated input; throws the AwsError that API answers bad input with. */
  decodeInput(model: ServiceModel, operation: string, request: HttpRequestParts): object;
  /** `requestId`: the answer's; protocols that put it in the body (awsQuery) need it. */
  encodeOutput(model: ServiceModel, operation: string, output: unknown, requestId: string): HttpAnswer;
  encodeError(model: ServiceModel, err: AwsError, requestId: string): HttpAnswer;
}
