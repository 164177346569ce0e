/**
 * What a request body's parser needs to know of the input shape: which members it will read, and
 * whether each holds a structure, a list, a map or a scalar. With it, the JSON and CBOR parsers
 * build only what the shape readers will look at: an unknown member is stepped over byte by byte
 * (its syntax still checked) without making one object, and a container where the shape wants
 * another kind (an object for a string, say) is stepped over and stood in for by an empty one of
 * the same kind, which the readers answer with AWS's texts as before.
 *
 * This is what keeps a hostile body cheap: 5 million `{}` in an unknown member made 5 million
 * objects and held the event loop for seconds; stepping over them makes none.
 */
import { memoizeByShape, type ServiceModel } from './model.js';

/**
 * How deep containers may nest in a body (the body's top-level object counts as one). The deepest
 * input of any model here (CloudWatch, Analytics, S3) nests 8 levels; 64 leaves room for every
 * shape AWS may add and still bounds the parsers' recursion. Deeper bodies are malformed bodies.
 */
export const MAX_NESTING_DEPTH = 64;

export type PlanKind = 'structure' | 'list' | 'map' | 'scalar' | 'any';

/**
 * The plan of a value: for a structure, `child(member)` is the plan of a member, undefined for an
 * unknown one (to be skipped); for a list or a map, `child()` is the plan of an element or value.
 */
export interface BodyPlan {
  readonly kind: PlanKind;
  child(key?: string): BodyPlan | undefined;
  /** A structure's member names and their UTF-8 bytes, for parsers that match keys without decoding them. */
  readonly members?: ReadonlyArray<{ readonly name: string; readonly utf8: Buffer }>;
}

/** Builds everything, as a generic parser does: for bodies read without a model. */
export const ANY_PLAN: BodyPlan = { kind: 'any', child: () => ANY_PLAN };

/** An input without members: every member of the body is skipped. */
export const NOTHING_PLAN: BodyPlan = { kind: 'structure', child: () => undefined };

const SCALAR_PLAN: BodyPlan = { kind: 'scalar', child: () => undefined };

type PlanGetter = () => BodyPlan;

/** The plan of a shape, compiled once. Children are looked up when read, so recursive shapes work. */
export const bodyPlanOf: (model: ServiceModel, shapeName: string) => BodyPlan = (() => {
  // memoizeByShape wants functions; a getter returning the plan is one.
  const getters = memoizeByShape<PlanGetter>((shape, recurse) => {
    let plan: BodyPlan;
    switch (shape.type) {
      case 'structure': {
        // A Map, not an object: a member named `__proto__` or `toString` in the body is just unknown.
        const shapes = new Map(Object.entries(shape.members ?? {}).map(([name, ref]) => [name, ref.shape]));
        const resolved = new Map<string, BodyPlan>();
        plan = {
          kind: 'structure',
          child: (key) => {
            if (key === undefined) return undefined;
            let child = resolved.get(key);
            if (child === undefined) {
              const shapeName = shapes.get(key);
              if (shapeName === undefined) return undefined;
              child = recurse(shapeName)();
              resolved.set(key, child);
            }
            return child;
          },
          members: [...shapes.keys()].map((name) => ({ name, utf8: Buffer.from(name, 'utf8') })),
        };
        break;
      }
      case 'list': {
        const element = shape.member!.shape;
        plan = { kind: 'list', child: () => recurse(element)() };
        break;
      }
      case 'map': {
        const value = shape.value!.shape;
        plan = { kind: 'map', child: () => recurse(value)() };
        break;
      }
      default:
        plan = SCALAR_PLAN;
    }
    return () => plan;
  });
  return (model, shapeName) => getters(model, shapeName)();
})();
