/**
 * The gateway's side of the awsJson protocols (1.0 and 1.1, with their CBOR twin): which operation
 * a request names, and how inputs, outputs and errors travel. A request is `POST /` with
 * `X-Amz-Target: <targetPrefix>.<Operation>` and a Content-Type of the model's JSON version (or
 * CBOR); anything else gets the answers AWS gives.
 */
import {
  AwsError, contentTypeOf, decodeInput, encodeError, encodeOutput, wireFormatOf, type ServiceModel, type WireFormat,
} from '@freshet/aws';
import type { AnyRequest } from './listener.js';
import type { RegisteredService } from './service.js';

export class AwsJsonBinding {
  /** The wire format a request's Content-Type names, if the protocol takes it. */
  formatOf(req: AnyRequest, target: RegisteredService): WireFormat | undefined {
    return wireFormatOf(req.headers['content-type'], target.service.model.metadata.jsonVersion);
  }

  /** The operation a request to `target` names, or the AwsError AWS answers instead. */
  operationOf(req: AnyRequest, target: RegisteredService, format: WireFormat | undefined): string {
    const operation = operationNamed(req.headers['x-amz-target'], target.service.model.metadata.targetPrefix, target);
    if (req.method !== 'POST' || !format) {
      if (!operation) throw new AwsError('AccessDeniedException', 'Unable to determine service/operation name to be authorized', 403);
      throw new AwsError('UnknownOperationException', undefined, 404);
    }
    if (!operation) throw new AwsError('UnknownOperationException', undefined);
    return operation;
  }

  decode(model: ServiceModel, operation: string, format: WireFormat, body: Buffer): object {
    return decodeInput(model, operation, format, body);
  }

  encode(model: ServiceModel, operation: string, format: WireFormat, output: unknown): Buffer {
    return encodeOutput(model, operation, format, output);
  }

  encodeError(format: WireFormat, err: AwsError): Buffer {
    return encodeError(format, err);
  }

  contentType(target: RegisteredService, format: WireFormat): string {
    return contentTypeOf(format, target.service.model.metadata.jsonVersion);
  }
}

function operationNamed(header: string | string[] | undefined, prefix: string | undefined, target: RegisteredService): string | undefined {
  if (typeof header !== 'string' || !prefix) return undefined;
  const dot = header.indexOf('.');
  if (dot < 0 || header.slice(0, dot) !== prefix) return undefined;
  const name = header.slice(dot + 1);
  return target.handlers.has(name) ? name : undefined;
}
