/**
 * Tables generated from every model in models/: each operation's valid input decodes through its
 * model's own protocol, and each invalid input (a required member missing, a string over its
 * maximum, a value outside its enum, a number under its minimum) is refused with that API's own
 * error code and wording (dialects.ts says where each wording comes from).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  AwsError,
  compileAllValidators,
  decodeInput as decodeAwsJson,
  DetailedAwsError,
  inputShapeName,
  loadModel,
  modelIds,
  queryCodec,
  modelPatternRegex,
  restJsonCodec,
  restXmlCodec,
  validatorOf,
  Violations,
  type HttpRequestParts,
  type ServiceModel,
} from '../src/index.js';
import { awsJsonBody, CannotSample, invalidCases, queryRequest, restRequest, sampleOf, type InvalidCase } from './helpers/modelCases.js';

type Protocol = 'json' | 'rest-json' | 'rest-xml' | 'query';

/** The protocol each model is served with here: CloudWatch's awsQuery, every other its own. */
function protocolOf(model: ServiceModel): Protocol {
  if (model.metadata.protocols?.includes('query')) return 'query';
  return model.metadata.protocol as Protocol;
}

function requestOf(model: ServiceModel, protocol: Protocol, operation: string, input: Record<string, unknown>): HttpRequestParts | Buffer {
  switch (protocol) {
    case 'json':
      return awsJsonBody(input);
    case 'query':
      return queryRequest(model, operation, input);
    default:
      return restRequest(model, operation, input, protocol === 'rest-xml');
  }
}

function decode(model: ServiceModel, protocol: Protocol, operation: string, request: HttpRequestParts | Buffer): object {
  switch (protocol) {
    case 'json':
      return decodeAwsJson(model, operation, 'json', request as Buffer);
    case 'query':
      return queryCodec.decodeInput(model, operation, request as HttpRequestParts);
    case 'rest-json':
      return restJsonCodec.decodeInput(model, operation, request as HttpRequestParts);
    case 'rest-xml':
      return restXmlCodec.decodeInput(model, operation, request as HttpRequestParts);
  }
}

function rejectionOf(model: ServiceModel, protocol: Protocol, c: InvalidCase): AwsError {
  try {
    decode(model, protocol, c.operation, requestOf(model, protocol, c.operation, c.input));
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  assert.fail(`${c.title}: accepted`);
}

/** What each API answers for a case (see dialects.ts for the sources). */
function assertAnswer(protocol: Protocol, c: InvalidCase, err: AwsError): void {
  assert.equal(err.status, 400, c.title);
  const wire = c.ref.locationName ?? c.member;
  if (protocol === 'json' || protocol === 'rest-json') {
    assert.equal(err.code, 'ValidationException', c.title);
    assert.match(err.message, /^\d+ validation errors? detected: /, c.title);
    assert.ok(err.message.includes(c.line), `${c.title}: ${err.message} lacks ${c.line}`);
  } else if (protocol === 'query') {
    if (c.kind === 'required') {
      assert.equal(err.code, 'MissingParameter', c.title);
      assert.equal(err.message, `The parameter ${wire} is required.`, c.title);
    } else {
      assert.equal(err.code, 'ValidationError', c.title);
      assert.ok(err.message.includes(c.line), `${c.title}: ${err.message} lacks ${c.line}`);
    }
  } else {
    assertS3Answer(c, err, wire);
  }
}

function assertS3Answer(c: InvalidCase, err: AwsError, wire: string): void {
  if (!c.ref.location) {
    assert.equal(err.code, 'MalformedXML', c.title);
  } else if (c.kind === 'required') {
    assert.equal(err.code, 'InvalidRequest', c.title);
    const what = c.ref.location === 'header' ? 'header' : 'parameter';
    assert.equal(err.message, `Missing required ${what} for this request: ${wire}`, c.title);
  } else {
    assert.equal(err.code, 'InvalidArgument', c.title);
    assert.ok(err instanceof DetailedAwsError, c.title);
    assert.equal(err.details.ArgumentName, wire, c.title);
  }
}

interface Table {
  valid: Array<{ operation: string; input: Record<string, unknown> }>;
  invalid: InvalidCase[];
  skipped: string[];
}

function tableOf(model: ServiceModel): Table {
  const table: Table = { valid: [], invalid: [], skipped: [] };
  for (const operation of Object.keys(model.operations)) {
    if (!inputShapeName(model, operation)) continue;
    let input: Record<string, unknown>;
    try {
      input = sampleOf(model, inputShapeName(model, operation)!) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof CannotSample) {
        table.skipped.push(`${operation}: ${err.message}`);
        continue;
      }
      throw err;
    }
    table.valid.push({ operation, input });
    table.invalid.push(...invalidCases(model, operation, input));
  }
  return table;
}

describe('every model loads side by side', () => {
  it('all models load and compile their validators', () => {
    const ids = modelIds();
    assert.ok(ids.length >= 9, ids.join(', '));
    for (const id of ids) compileAllValidators(loadModel(id));
  });

  it("two models' shapes of the same name keep their own rules", () => {
    const models = modelIds().map(loadModel);
    let compared = 0;
    for (const a of models) {
      for (const b of models) {
        if (a === b) continue;
        for (const [name, shape] of Object.entries(a.shapes)) {
          const other = b.shapes[name];
          if (shape.type !== 'string' || other?.type !== 'string' || shape.enum || other.enum) continue;
          if (shape.max === undefined || other.max === undefined || shape.max >= other.max) continue;
          // Longer than a's maximum, within b's, and fit for both patterns.
          const value = 'a'.repeat(shape.max + 1);
          if (![shape.pattern, other.pattern].every((p) => p === undefined || modelPatternRegex(p).test(value))) continue;
          const inA = new Violations();
          const inB = new Violations();
          validatorOf(a, name)(value, 'v', inA);
          validatorOf(b, name)(value, 'v', inB);
          assert.equal(inA.lines.length, 1, `${a.metadata.uid} ${name}`);
          if ((other.min ?? 0) <= value.length) assert.equal(inB.lines.length, 0, `${b.metadata.uid} ${name}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 0, 'no two models share a string shape with different maxima');
  });
});

for (const uid of modelIds()) {
  const model = loadModel(uid);
  const protocol = protocolOf(model);
  const table = tableOf(model);
  describe(`${uid} (${protocol}): generated inputs`, () => {
    it(`has operations to test (${table.valid.length} valid inputs, ${table.invalid.length} invalid, ${table.skipped.length} skipped)`, () => {
      assert.ok(table.valid.length > 0);
      assert.ok(table.skipped.length <= table.valid.length / 4, table.skipped.join('\n'));
    });
    it('every valid input is accepted', () => {
      for (const { operation, input } of table.valid) {
        try {
          decode(model, protocol, operation, requestOf(model, protocol, operation, input));
        } catch (err) {
          assert.fail(`${uid} ${operation} refused its valid input ${JSON.stringify(input).slice(0, 300)}: ${(err as Error).message}`);
        }
      }
    });
    it("every invalid input gets the API's own error", () => {
      for (const c of table.invalid) assertAnswer(protocol, c, rejectionOf(model, protocol, c));
    });
  });
}
