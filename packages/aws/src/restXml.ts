/**
 * The restXml protocol (S3): the same HTTP bindings as restJson1 (restBinding.ts), with XML
 * bodies. A structure payload is one root element named by the payload member's locationName
 * (`<CreateBucketConfiguration>`, `<Tagging>`); without a payload, the output's body members go
 * under a root named after the output shape. Errors are S3's `<Error><Code><Message>...
 * <RequestId></Error>`, with any extra elements the error carries (`ArgumentName`, ...).
 */
import { DetailedAwsError, s3Dialect, type ErrorDialect } from './dialects.js';
import type { AwsError } from './errors.js';
import { shapeOf, type MemberRef, type ServiceModel, type Shape } from './model.js';
import type { HttpAnswer } from './protocol.js';
import { BadValueError } from './restBinding.js';
import { RestCodec, type RestBody } from './restJson.js';
import { element, escapeXml, MalformedXmlError, parseXmlDocument, readStructureXml, structureXml, XmlValueError } from './xml.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

const namespaces = new WeakMap<ServiceModel, string | undefined>();

/**
 * The namespace of a restXml API's documents. botocore models rarely state it in metadata, but
 * the members that carry a document root name it (S3: `http://s3.amazonaws.com/doc/2006-03-01/`);
 * the most common one is the API's.
 */
export function xmlNamespaceOf(model: ServiceModel): string | undefined {
  if (namespaces.has(model)) return namespaces.get(model);
  const counts = new Map<string, number>();
  for (const shape of Object.values(model.shapes)) {
    for (const ref of Object.values(shape.members ?? {})) {
      if (ref.xmlNamespace?.uri) counts.set(ref.xmlNamespace.uri, (counts.get(ref.xmlNamespace.uri) ?? 0) + 1);
    }
  }
  const found = model.metadata.xmlNamespace ?? [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  namespaces.set(model, found);
  return found;
}

function rootAttributes(model: ServiceModel, ref: MemberRef | undefined, shape: Shape): string {
  const uri = ref?.xmlNamespace?.uri ?? shape.xmlNamespace?.uri ?? xmlNamespaceOf(model);
  return uri ? ` xmlns="${escapeXml(uri)}"` : '';
}

function document(model: ServiceModel, root: string, ref: MemberRef | undefined, shape: Shape, value: Record<string, unknown>): Buffer {
  const { attributes, inner } = structureXml(model, shape, value);
  return Buffer.from(XML_DECLARATION + element(root, inner, rootAttributes(model, ref, shape) + attributes), 'utf8');
}

/** Reads a document's root as a structure, turning XML failures into the codec's BadValueError. */
function readDocument(model: ServiceModel, shape: Shape, body: Buffer): Record<string, unknown> {
  try {
    return readStructureXml(model, shape, parseXmlDocument(body).node);
  } catch (err) {
    if (err instanceof MalformedXmlError) throw new BadValueError({ location: 'body', wireName: '', text: '', type: 'xml' });
    if (err instanceof XmlValueError)
      throw new BadValueError({ location: 'body', wireName: err.path.join('.'), text: err.text, type: err.type });
    throw err;
  }
}

export const xmlBody: RestBody = {
  readMembers: (model, _shapeName, shape, body) => readDocument(model, shape, body),
  readPayload: (model, shapeName, body) => readDocument(model, shapeOf(model, shapeName), body),
  writeMembers: (model, shapeName, shape, body) => document(model, shape.locationName ?? shapeName, undefined, shape, body),
  writePayload(model, memberName, ref, value) {
    const shape = shapeOf(model, ref.shape);
    return document(model, ref.locationName ?? shape.locationName ?? memberName, ref, shape, value as Record<string, unknown>);
  },
  contentType: 'application/xml',
};

export class RestXmlCodec extends RestCodec {
  constructor(dialect: ErrorDialect = s3Dialect) {
    super(xmlBody, dialect);
  }

  override encodeError(_model: ServiceModel, err: AwsError, requestId: string): HttpAnswer {
    const details =
      err instanceof DetailedAwsError
        ? Object.entries(err.details)
            .map(([name, value]) => element(name, escapeXml(value)))
            .join('')
        : '';
    const message = err.hasMessage ? element('Message', escapeXml(err.message)) : '';
    const xml =
      XML_DECLARATION +
      element('Error', element('Code', escapeXml(err.code)) + message + details + element('RequestId', escapeXml(requestId)));
    return {
      status: err.status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: Buffer.from(xml, 'utf8'),
    };
  }
}

/** restXml with S3's wording for bad input. */
export const restXmlCodec = new RestXmlCodec();
