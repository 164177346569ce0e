/**
 * IAM's wildcards: `*` matches any run of characters (none included), `?` any one character;
 * nothing else is special. Actions compare case-insensitively, ARNs and strings case-sensitively.
 * Patterns compile to anchored regular expressions once and are kept, since a handful of
 * policies are matched on every call.
 */

const compiled = new Map<string, RegExp>();
const MAX_CACHED = 10_000;

/** Whether `text` matches `pattern`, `*` and `?` being wildcards. */
export function wildcardMatch(pattern: string, text: string, ignoreCase = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === text.toLowerCase() : pattern === text;
  }
  return regexOf(pattern, ignoreCase).test(text);
}

function regexOf(pattern: string, ignoreCase: boolean): RegExp {
  const key = (ignoreCase ? 'i' : 's') + pattern;
  let regex = compiled.get(key);
  if (!regex) {
    regex = anchored(wildcardSource(pattern), ignoreCase);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(key, regex);
  }
  return regex;
}

/** A wildcard pattern as regular-expression source: `*` and `?` wild, everything else literal. */
export function wildcardSource(pattern: string): string {
  return pattern.replace(/[.*+?^${}()|[\]\\]/g, (ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : `\\${ch}`));
}

/** Text as regular-expression source that matches it literally. */
export function literalSource(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** 's': a wildcard matches newlines too (values are opaque text); 'u': `?` is one code point. */
export function anchored(source: string, ignoreCase: boolean): RegExp {
  return new RegExp(`^${source}$`, ignoreCase ? 'isu' : 'su');
}
