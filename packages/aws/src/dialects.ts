/**
 * How each family of AWS APIs answers input it cannot accept. validation.ts finds the broken
 * rules once, for every API; a dialect words them the way its API does. Three dialects:
 *
 * - Coral (awsJson and restJson services: Kinesis, Firehose, Analytics, Video Streams, Lambda):
 *   `ValidationException`, 400, `N validation error(s) detected: Value '...' at '...' failed to
 *   satisfy constraint: ...`. Sources: kinesalite's recordings against Kinesis (see validation.ts);
 *   for Video Streams, aws-amplify/aws-sdk-android PR #1084 (Kinesis Video's CreateStream answered a
 *   ValidationException for a Tags value that broke the model's constraints, though the model
 *   lists only InvalidArgumentException: the Coral framework answers before the handler does, and
 *   InvalidArgumentException stays the handlers' own error for semantic checks); for Lambda, the
 *   same `ValidationException ... failed to satisfy constraint` text is what boto3 users report for
 *   a function name that breaks its pattern.
 * - awsQuery (CloudWatch; the codes and statuses are also the model's own error shapes:
 *   MissingRequiredParameterException is code MissingParameter, InvalidParameterValueException is
 *   InvalidParameterValue, both 400): a missing required parameter is `MissingParameter`, 400, `The parameter
 *   <Name> is required.` (the texts CloudWatch answers GetMetricStatistics with, as recorded in
 *   users' code and mirrored by LocalStack-style emulators); any other broken rule is
 *   `ValidationError`, 400, with Coral's text (the AWS SDKs' own smoke tests for CloudWatch, e.g.
 *   aws-sdk-go/ruby/js `features/cloudwatch/client.feature`: SetAlarmState with StateValue 'mno'
 *   expects code ValidationError and a message containing "failed to satisfy constraint"); a
 *   value that is not of its parameter's type is `InvalidParameterValue`, 400 (the code is
 *   CloudWatch's documented common error; the sentence is ours, no recording of it was found).
 * - S3 (restXml): S3 checks little against its model. A body that breaks the schema is
 *   `MalformedXML`, 400, "The XML you provided was not well-formed or did not validate against
 *   our published schema" (S3 API Reference, "Error responses", list of error codes); a missing
 *   required header is `InvalidRequest`, 400, `Missing required header for this request: <name>`
 *   (S3's answer when x-amz-content-sha256 is missing, as AWS users report it); a bad header or
 *   query value is `InvalidArgument`, 400, with `ArgumentName` and `ArgumentValue` elements (S3's
 *   error body for max-keys=abc, "Provided max-keys not an integer or within integer range", as
 *   S3 answers it and emulators such as MinIO and LocalStack reproduce it; the same sentence is
 *   used for every integer parameter, the other sentences are ours).
 */
import { AwsError, serializationError, validationError } from './errors.js';
import { lowerFirst, shapeOf, type MemberRef, type ServiceModel, type Shape } from './model.js';
import { quotable, type Violation, type Violations } from './validation.js';

/** A value, found outside a JSON body, that its member's type cannot take. */
export interface BadValue {
  location: 'uri' | 'querystring' | 'header' | 'headers' | 'body';
  /** The name it travels under on the wire: a header, a query key, an XML element path. */
  wireName: string;
  text: string;
  type: string;
}

export interface ErrorDialect {
  /** The error for an input that breaks rules of its model (`violations` is never empty). */
  invalid(model: ServiceModel, inputShape: string, violations: Violations): AwsError;
  /** The error for a value its type cannot take. */
  unreadable(bad: BadValue): AwsError;
  /** The error for a body that cannot be parsed at all. */
  malformedBody(): AwsError;
}

// ---- From Coral's paths back to the wire ----

/** One step of a path through an input: a structure member, a list index (1-based) or a map key. */
export type PathStep = { member: string; ref: MemberRef } | { index: number } | { key: string };

/**
 * Reads Coral's path (`metricData.1.member.dimensions.2.member.name`) against the input shape, so
 * a dialect can name the member the way its wire does. Map keys are read up to the next
 * `.member`, so a key with dots in it survives.
 */
export function pathSteps(model: ServiceModel, shapeName: string, path: string): PathStep[] {
  const parts = path === '' ? [] : path.split('.');
  const steps: PathStep[] = [];
  let shape: Shape = shapeOf(model, shapeName);
  for (let i = 0; i < parts.length; i++) {
    if (shape.type === 'structure') {
      const entry = Object.entries(shape.members ?? {}).find(([name]) => lowerFirst(name) === parts[i]);
      if (!entry) break;
      steps.push({ member: entry[0], ref: entry[1] });
      shape = shapeOf(model, entry[1].shape);
    } else if (shape.type === 'list') {
      steps.push({ index: Number(parts[i]) });
      i++; // the `member` after the index
      shape = shapeOf(model, shape.member!.shape);
    } else if (shape.type === 'map') {
      let end = i;
      while (end < parts.length && parts[end] !== 'member') end++;
      steps.push({ key: parts.slice(i, end).join('.') });
      i = end;
      shape = shapeOf(model, shape.value!.shape);
    } else {
      break;
    }
  }
  return steps;
}

// ---- Coral ----

export const coralDialect: ErrorDialect = {
  invalid: (_model, _shape, violations) => validationError(violations.message()),
  // Coral's REST services give no recorded text for a label or header of the wrong type; the
  // JSON parser's bare SerializationException is the nearest thing they are known to send.
  unreadable: () => serializationError(),
  malformedBody: () => serializationError(),
};

// ---- awsQuery ----

/** A member's awsQuery key: `MetricData.member.1.Dimensions.member.2.Name`. */
export function queryKeyOf(model: ServiceModel, shapeName: string, path: string): string {
  let shape: Shape = shapeOf(model, shapeName);
  const parts: string[] = [];
  for (const step of pathSteps(model, shapeName, path)) {
    if ('member' in step) {
      parts.push(step.ref.locationName ?? step.member);
      shape = shapeOf(model, step.ref.shape);
    } else if ('index' in step) {
      if (!shape.flattened) parts.push(shape.member!.locationName ?? 'member');
      parts.push(String(step.index));
      shape = shapeOf(model, shape.member!.shape);
    } else {
      parts.push(step.key);
      shape = shapeOf(model, shape.value!.shape);
    }
  }
  return parts.join('.');
}

export const queryDialect: ErrorDialect = {
  invalid(model, shapeName, violations) {
    const missing = violations.found.find((v) => v.kind === 'required');
    if (missing) return new AwsError('MissingParameter', `The parameter ${queryKeyOf(model, shapeName, missing.path)} is required.`);
    return new AwsError('ValidationError', violations.message());
  },
  unreadable: (bad) =>
    new AwsError('InvalidParameterValue', `The value '${quotable(bad.text)}' for parameter ${bad.wireName} is not a valid ${bad.type}.`),
  malformedBody: () => new AwsError('MalformedQueryString', 'The query string could not be parsed.'),
};

// ---- S3 ----

/** An S3 error with the extra elements S3 puts in its `<Error>` (ArgumentName, ArgumentValue). */
export class DetailedAwsError extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly details: Record<string, string>,
  ) {
    super(code, message, status);
  }
}

const MALFORMED_XML = 'The XML you provided was not well-formed or did not validate against our published schema';

function invalidArgument(message: string, name: string, value: string): AwsError {
  return new DetailedAwsError('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value });
}

function s3Violation(model: ServiceModel, shapeName: string, violation: Violation): AwsError {
  const first = pathSteps(model, shapeName, violation.path)[0];
  const ref = first && 'ref' in first ? first.ref : undefined;
  if (!ref || !ref.location || ref.location === 'statusCode') return new AwsError('MalformedXML', MALFORMED_XML);
  const name = ref.locationName ?? (first as { member: string }).member;
  if (violation.kind === 'required') {
    if (ref.location === 'header') return new AwsError('InvalidRequest', `Missing required header for this request: ${name}`);
    return new AwsError('InvalidRequest', `Missing required parameter for this request: ${name}`);
  }
  const shown = quotable(violation.value instanceof Date ? violation.value.toISOString() : String(violation.value));
  return invalidArgument(`Invalid value for ${name}: ${violation.rule}`, name, shown);
}

export const s3Dialect: ErrorDialect = {
  invalid: (model, shapeName, violations) => s3Violation(model, shapeName, violations.found[0]!),
  unreadable(bad) {
    if (bad.location === 'body') return new AwsError('MalformedXML', MALFORMED_XML);
    if (bad.type === 'integer' || bad.type === 'long') {
      return invalidArgument(`Provided ${bad.wireName} not an integer or within integer range`, bad.wireName, quotable(bad.text));
    }
    return invalidArgument(`Provided ${bad.wireName} is not a valid ${bad.type}`, bad.wireName, quotable(bad.text));
  },
  malformedBody: () => new AwsError('MalformedXML', MALFORMED_XML),
};

/** The dialect of a model's protocol (what a codec uses unless told otherwise). */
export function dialectOf(model: ServiceModel): ErrorDialect {
  switch (model.metadata.protocol) {
    case 'rest-xml':
      return s3Dialect;
    case 'query':
    case 'ec2':
      return queryDialect;
    default:
      return coralDialect;
  }
}
