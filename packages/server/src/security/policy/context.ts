/**
 * The request context policy conditions read: condition keys (case-insensitive, so stored lower
 * case) to their values. A key a request does not have is absent, which the operators treat as
 * AWS documents (a negated operator holds, `...IfExists` holds, `Null` says true).
 */
export type ConditionContext = ReadonlyMap<string, string | readonly string[]>;

/** A condition context from keys as AWS spells them (`aws:SourceIp`); undefined values are left out. */
export function conditionContext(entries: Record<string, string | readonly string[] | undefined>): ConditionContext {
  const context = new Map<string, string | readonly string[]>();
  for (const [key, value] of Object.entries(entries)) {
    if (value !== undefined) context.set(key.toLowerCase(), value);
  }
  return context;
}
