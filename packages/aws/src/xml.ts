/**
 * XML for the restXml and awsQuery protocols: a small writer (AWS answers are plain elements,
 * text and a few attributes, so a string builder is enough) and a shape-driven reader over the
 * tree fast-xml-parser gives. Both follow the model's XML traits: `locationName` names an
 * element, `flattened` lists and maps drop their wrapper, `xmlAttribute` members are attributes,
 * `xmlNamespace` adds an `xmlns`.
 */
import { XMLParser } from 'fast-xml-parser';
import { shapeOf, type MemberRef, type ServiceModel, type Shape } from './model.js';
import { readScalar, ScalarError, writeScalar } from './scalars.js';

// ---- Writing ----

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' };

/** Escapes text and attribute values alike (quotes too, so one function serves both). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c]!);
}

export function element(name: string, inner: string, attributes = ''): string {
  return `<${name}${attributes}>${inner}</${name}>`;
}

function namespaceAttribute(ns: { uri: string; prefix?: string } | undefined): string {
  if (!ns) return '';
  return ns.prefix ? ` xmlns:${ns.prefix}="${escapeXml(ns.uri)}"` : ` xmlns="${escapeXml(ns.uri)}"`;
}

/** The element name a member travels under. */
function elementName(name: string, ref: MemberRef): string {
  return ref.locationName ?? name;
}

/** The children of a structure: its elements, with xmlAttribute members set aside as attributes. */
export function structureXml(model: ServiceModel, shape: Shape, value: Record<string, unknown>): { attributes: string; inner: string } {
  let attributes = '';
  let inner = '';
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const memberValue = value[name];
    if (memberValue === undefined || memberValue === null) continue;
    if (ref.location) continue; // headers, labels and status codes never reach the body
    if (ref.xmlAttribute) {
      attributes += ` ${elementName(name, ref)}="${escapeXml(writeScalar(shapeOf(model, ref.shape), ref, memberValue, 'iso8601'))}"`;
    } else {
      inner += valueXml(model, elementName(name, ref), ref, memberValue);
    }
  }
  return { attributes, inner };
}

/** One member's value as XML under `name` (lists and maps may give several sibling elements). */
export function valueXml(model: ServiceModel, name: string, ref: MemberRef, value: unknown): string {
  const shape = shapeOf(model, ref.shape);
  const ns = namespaceAttribute(ref.xmlNamespace ?? shape.xmlNamespace);
  switch (shape.type) {
    case 'structure': {
      const { attributes, inner } = structureXml(model, shape, value as Record<string, unknown>);
      return element(name, inner, ns + attributes);
    }
    case 'list':
      return listXml(model, name, ref, shape, value as unknown[]);
    case 'map':
      return mapXml(model, name, ref, shape, value as Record<string, unknown>);
    default:
      return element(name, escapeXml(writeScalar(shape, ref, value, 'iso8601')), ns);
  }
}

function listXml(model: ServiceModel, name: string, ref: MemberRef, shape: Shape, items: unknown[]): string {
  const memberRef = shape.member!;
  if (ref.flattened || shape.flattened) {
    // A flattened list repeats its items in place of the wrapper, named by the member's locationName.
    const itemName = memberRef.locationName ?? name;
    return items.map((item) => valueXml(model, itemName, memberRef, item)).join('');
  }
  const itemName = memberRef.locationName ?? 'member';
  return element(name, items.map((item) => valueXml(model, itemName, memberRef, item)).join(''));
}

function mapXml(model: ServiceModel, name: string, ref: MemberRef, shape: Shape, map: Record<string, unknown>): string {
  const keyName = shape.key!.locationName ?? 'key';
  const valueName = shape.value!.locationName ?? 'value';
  const entries = Object.keys(map)
    .filter((key) => map[key] !== undefined && map[key] !== null)
    .map((key) => valueXml(model, keyName, shape.key!, key) + valueXml(model, valueName, shape.value!, map[key]));
  if (ref.flattened || shape.flattened) return entries.map((entry) => element(name, entry)).join('');
  return element(name, entries.map((entry) => element('entry', entry)).join(''));
}

// ---- Reading ----

/** An element as fast-xml-parser gives it with every child in an array: text, attributes, children. */
export type XmlNode = { '#text'?: string; [child: string]: XmlNode[] | string | undefined };

const ATTRIBUTE_PREFIX = '@_';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE_PREFIX,
  // Values stay text: the model, not the parser, decides what is a number (a key "007" stays "007").
  parseTagValue: false,
  parseAttributeValue: false,
  // Object keys may begin or end with spaces; XML whitespace between elements is simply not read.
  trimValues: false,
  alwaysCreateTextNode: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export class MalformedXmlError extends Error {}

/** The document's root element and its name; throws MalformedXmlError for anything else. */
export function parseXmlDocument(body: Buffer): { name: string; node: XmlNode } {
  let tree: Record<string, unknown>;
  try {
    tree = parser.parse(body.toString('utf8'), true) as Record<string, unknown>;
  } catch (cause) {
    throw new MalformedXmlError('not well-formed XML', { cause });
  }
  const roots = Object.keys(tree).filter((key) => key !== '#text');
  if (roots.length !== 1) throw new MalformedXmlError('an XML document has one root element');
  const name = roots[0]!;
  const node = (tree[name] as XmlNode[])[0]!;
  return { name, node: typeof node === 'string' ? { '#text': node } : node };
}

function textOf(node: XmlNode | string | undefined): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node;
  return typeof node['#text'] === 'string' ? node['#text'] : '';
}

function children(node: XmlNode, name: string): XmlNode[] {
  const found = node[name];
  if (!Array.isArray(found)) return [];
  return found.map((child) => (typeof child === 'string' ? { '#text': child } : child));
}

/** Where a bad value was found, for the error the codec answers with. */
export type XmlPath = string[];

/** Reads a structure's members from an element's children and attributes. */
export function readStructureXml(model: ServiceModel, shape: Shape, node: XmlNode, path: XmlPath = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (ref.location) continue;
    const xmlName = elementName(name, ref);
    if (ref.xmlAttribute) {
      const attribute = node[ATTRIBUTE_PREFIX + xmlName];
      if (typeof attribute === 'string') out[name] = readScalarXml(model, ref, attribute, [...path, xmlName]);
      continue;
    }
    const value = readMemberXml(model, xmlName, ref, node, [...path, xmlName]);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function readMemberXml(model: ServiceModel, name: string, ref: MemberRef, parent: XmlNode, path: XmlPath): unknown {
  const shape = shapeOf(model, ref.shape);
  if (shape.type === 'list' && (ref.flattened || shape.flattened)) {
    const items = children(parent, shape.member!.locationName ?? name);
    return items.length === 0 ? undefined : items.map((item, i) => readNodeXml(model, shape.member!, item, [...path, String(i + 1)]));
  }
  if (shape.type === 'map' && (ref.flattened || shape.flattened)) {
    const entries = children(parent, name);
    return entries.length === 0 ? undefined : readEntries(model, shape, entries, path);
  }
  const found = children(parent, name)[0];
  return found === undefined ? undefined : readNodeXml(model, ref, found, path);
}

/** Reads one element as the value of `ref`'s shape. */
export function readNodeXml(model: ServiceModel, ref: MemberRef, node: XmlNode, path: XmlPath): unknown {
  const shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure':
      return readStructureXml(model, shape, node, path);
    case 'list': {
      const items = children(node, shape.member!.locationName ?? 'member');
      return items.map((item, i) => readNodeXml(model, shape.member!, item, [...path, String(i + 1)]));
    }
    case 'map':
      return readEntries(model, shape, children(node, 'entry'), path);
    default:
      return readScalarXml(model, ref, textOf(node), path);
  }
}

function readEntries(model: ServiceModel, shape: Shape, entries: XmlNode[], path: XmlPath): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keyName = shape.key!.locationName ?? 'key';
  const valueName = shape.value!.locationName ?? 'value';
  for (const entry of entries) {
    const key = textOf(children(entry, keyName)[0]);
    const valueNode = children(entry, valueName)[0];
    if (valueNode === undefined) continue;
    Object.defineProperty(out, key, {
      value: readNodeXml(model, shape.value!, valueNode, [...path, key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** An XML value that the member's type cannot take, with where it was. */
export class XmlValueError extends Error {
  constructor(
    readonly path: XmlPath,
    readonly text: string,
    readonly type: string,
  ) {
    super(`cannot read '${text}' at ${path.join('.')} as ${type}`);
  }
}

function readScalarXml(model: ServiceModel, ref: MemberRef, text: string, path: XmlPath): unknown {
  const shape = shapeOf(model, ref.shape);
  try {
    return readScalar(shape, ref, text, 'iso8601');
  } catch (err) {
    if (err instanceof ScalarError) throw new XmlValueError(path, text, shape.type);
    throw err;
  }
}
