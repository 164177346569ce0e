/**
 * An operation: the thin step between the protocol and the engine. It receives the validated,
 * typed input of one AWS operation and returns its output; the work happens in the engine.
 */
import type { Engine } from '../engine/engine.js';
import type { RequestContext } from '../engine/context.js';
import type { OperationName, OperationShapes } from '../protocol/shapes.generated.js';

export type Operation<Op extends OperationName> = (
  engine: Engine,
  ctx: RequestContext,
  input: OperationShapes[Op]['input'],
) => Promise<OperationShapes[Op]['output']> | OperationShapes[Op]['output'];
