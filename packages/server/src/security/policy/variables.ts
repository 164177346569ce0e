/**
 * Policy variables (Version 2012-10-17): `${aws:username}` in a Resource or a condition value is
 * replaced by the request's value of that key; `${key, 'default'}` gives a value for a missing
 * key; `${*}`, `${?}` and `${$}` are the literal characters. The substituted value is literal
 * text: a `*` in a user name is not a wildcard.
 */
import type { ConditionContext } from './context.js';
import { anchored, literalSource, wildcardSource } from './wildcard.js';

/** A piece of a pattern: text whose `*` and `?` are wildcards, or a literal (a substituted value). */
export type Piece = { wild: string } | { literal: string };

const VARIABLE = /\$\{([^}]*)\}/g;

/** The pieces of a pattern with its variables replaced, or undefined if a variable has no value. */
export function expandVariables(pattern: string, context: ConditionContext): Piece[] | undefined {
  const pieces: Piece[] = [];
  let at = 0;
  for (const match of pattern.matchAll(VARIABLE)) {
    pieces.push({ wild: pattern.slice(at, match.index) });
    const value = variableValue(match[1]!.trim(), context);
    if (value === undefined) return undefined;
    pieces.push({ literal: value });
    at = match.index + match[0].length;
  }
  pieces.push({ wild: pattern.slice(at) });
  return pieces;
}

function variableValue(body: string, context: ConditionContext): string | undefined {
  if (body === '*' || body === '?' || body === '$') return body;
  const withDefault = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(body);
  const key = withDefault ? withDefault[1]! : body;
  const value = context.get(key.toLowerCase());
  if (typeof value === 'string') return value;
  return withDefault?.[2];
}

/** The pieces as one literal string (StringEquals and the like), their wildcards taken literally. */
export function piecesText(pieces: Piece[]): string {
  return pieces.map((piece) => ('wild' in piece ? piece.wild : piece.literal)).join('');
}

/** The pieces as an anchored regular expression (`*`/`?` of the pattern's own text are wildcards). */
export function piecesRegex(pieces: Piece[], ignoreCase: boolean): RegExp {
  const source = pieces.map((piece) => ('literal' in piece ? literalSource(piece.literal) : wildcardSource(piece.wild))).join('');
  return anchored(source, ignoreCase);
}
