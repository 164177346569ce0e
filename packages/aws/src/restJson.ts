/**
 * The restJson1 protocol (Kinesis Video Streams, Lambda): the operation is named by the method
 * and the path (`POST /createStream`, `POST /2015-03-31/functions/{FunctionName}/invocations`),
 * members travel in URI labels, the query string, headers and the status code as the model
 * binds them, and the rest is a JSON body, or the one `payload` member is the whole body.
 *
 * Errors: the code in the `x-amzn-ErrorType` header, `{"message": ...}` as the body, the status
 * from the error (which services take from the error shape's `error.httpStatusCode`).
 */
import { bodyPlanOf } from './bodyPlan.js';
import { coralDialect, type ErrorDialect } from './dialects.js';
import type { AwsError } from './errors.js';
import { jsonReaderOf, jsonWriterOf, parseJsonBody } from './json.js';
import { inputShapeName, outputShapeName, shapeOf, type MemberRef, type ServiceModel, type Shape } from './model.js';
import type { HttpAnswer, HttpRequestParts, ProtocolCodec } from './protocol.js';
import {
  BadValueError,
  bodyMembersOf,
  hasBodyMembers,
  isAsyncIterable,
  isLocated,
  matchRoute,
  payloadOf,
  readLocatedMembers,
  routeLabels,
  toBuffer,
  writeLocatedMembers,
} from './restBinding.js';
import { inputViolations } from './validation.js';

const EMPTY = Buffer.alloc(0);

/** What a body codec (JSON here, XML in restXml.ts) does for the shared REST machinery. */
export interface RestBody {
  /** The body members of `shape` read from a non-empty body. */
  readMembers(model: ServiceModel, shapeName: string, shape: Shape, body: Buffer): Record<string, unknown>;
  /** A structure payload read from a non-empty body. */
  readPayload(model: ServiceModel, shapeName: string, body: Buffer): unknown;
  writeMembers(model: ServiceModel, shapeName: string, shape: Shape, body: Record<string, unknown>): Buffer;
  writePayload(model: ServiceModel, memberName: string, ref: MemberRef, value: unknown): Buffer;
  contentType: string;
}

/** A located member's name that a JSON body must not also fill. */
function withoutLocated(shape: Shape, parsed: Record<string, unknown>): Record<string, unknown> {
  for (const [name, ref] of Object.entries(shape.members ?? {})) if (isLocated(ref)) delete parsed[name];
  return parsed;
}

export const jsonBody: RestBody = {
  readMembers: (model, shapeName, shape, body) =>
    jsonReaderOf(model, shapeName)(withoutLocated(shape, parseJsonBody(body, bodyPlanOf(model, shapeName)))) as Record<string, unknown>,
  readPayload: (model, shapeName, body) => jsonReaderOf(model, shapeName)(parseJsonBody(body, bodyPlanOf(model, shapeName))),
  writeMembers: (model, shapeName, _shape, body) => Buffer.from(jsonWriterOf(model, shapeName)(body), 'utf8'),
  writePayload: (model, _member, ref, value) => Buffer.from(jsonWriterOf(model, ref.shape)(value), 'utf8'),
  contentType: 'application/json',
};

/** The REST protocols differ only in their body and their dialect; this is all the rest. */
export class RestCodec implements ProtocolCodec {
  constructor(
    readonly body: RestBody,
    readonly dialect: ErrorDialect,
  ) {}

  operationOf(model: ServiceModel, request: HttpRequestParts): string | undefined {
    return matchRoute(model, request)?.operation;
  }

  decodeInput(model: ServiceModel, operation: string, request: HttpRequestParts): object {
    const shapeName = inputShapeName(model, operation);
    if (!shapeName) return {};
    const shape = shapeOf(model, shapeName);
    const input = { ...this.readBody(model, shapeName, shape, request.body), ...this.readLocated(model, operation, shape, request) };
    const violations = inputViolations(model, operation, input);
    if (violations.lines.length > 0) throw this.dialect.invalid(model, shapeName, violations);
    return input;
  }

  private readLocated(model: ServiceModel, operation: string, shape: Shape, request: HttpRequestParts): Record<string, unknown> {
    try {
      return readLocatedMembers(model, shape, request, routeLabels(model, operation, request.path));
    } catch (err) {
      if (err instanceof BadValueError) throw this.dialect.unreadable(err.bad);
      throw err;
    }
  }

  private readBody(model: ServiceModel, shapeName: string, shape: Shape, body: Buffer): Record<string, unknown> {
    const payload = payloadOf(shape);
    if (payload) {
      const payloadShape = shapeOf(model, payload.ref.shape);
      // An empty body carries no payload: a required one is then reported missing.
      if (body.length === 0) return {};
      if (payloadShape.type === 'blob') return { [payload.name]: body };
      if (payloadShape.type === 'string') return { [payload.name]: body.toString('utf8') };
      return { [payload.name]: this.parse(() => this.body.readPayload(model, payload.ref.shape, body)) };
    }
    if (!hasBodyMembers(shape) || body.length === 0) return {};
    return this.parse(() => this.body.readMembers(model, shapeName, shape, body));
  }

  /** Body codecs throw their protocol's errors already; only unexpected ones are translated. */
  private parse<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof BadValueError) throw this.dialect.unreadable(err.bad);
      throw err;
    }
  }

  encodeOutput(model: ServiceModel, operation: string, output: unknown): HttpAnswer {
    const op = model.operations[operation];
    const status = op?.http?.responseCode ?? 200;
    const shapeName = outputShapeName(model, operation);
    if (!shapeName) return { status, headers: {}, body: EMPTY };
    const shape = shapeOf(model, shapeName);
    const value = (output ?? {}) as Record<string, unknown>;
    const located = writeLocatedMembers(model, shape, value);
    const { contentType, body } = this.outputBody(model, shapeName, shape, value);
    const headers: Record<string, string> = contentType ? { 'content-type': contentType, ...located.headers } : located.headers;
    return { status: located.status ?? status, headers, body };
  }

  private outputBody(
    model: ServiceModel,
    shapeName: string,
    shape: Shape,
    output: Record<string, unknown>,
  ): { contentType?: string; body: HttpAnswer['body'] } {
    const payload = payloadOf(shape);
    if (!payload) {
      if (!hasBodyMembers(shape)) return { body: EMPTY };
      return { contentType: this.body.contentType, body: this.body.writeMembers(model, shapeName, shape, bodyMembersOf(shape, output)) };
    }
    const value = output[payload.name];
    if (value === undefined || value === null) return { body: EMPTY };
    const payloadShape = shapeOf(model, payload.ref.shape);
    if (payloadShape.type === 'blob')
      return { contentType: 'application/octet-stream', body: isAsyncIterable(value) ? value : toBuffer(value) };
    if (payloadShape.type === 'string') return { contentType: 'text/plain', body: toBuffer(value) };
    return { contentType: this.body.contentType, body: this.body.writePayload(model, payload.name, payload.ref, value) };
  }

  encodeError(_model: ServiceModel, err: AwsError, requestId: string): HttpAnswer {
    const body = JSON.stringify(err.hasMessage ? { message: err.message } : {});
    return {
      status: err.status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': err.code, 'x-amzn-requestid': requestId },
      body: Buffer.from(body, 'utf8'),
    };
  }
}

/** restJson1 with Coral's validation wording (Video Streams, Lambda). */
export const restJsonCodec = new RestCodec(jsonBody, coralDialect);
