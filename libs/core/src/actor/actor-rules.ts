/**
 * What a valid actor is, in one place: the capture function in PostgreSQL
 * enforces it on `threadline.actor_ref`, and ActorRef enforces it in Node,
 * with the same sentence in both error messages.
 */
export const ACTOR_TYPES = ['user', 'admin', 'service_account', 'job', 'system', 'anonymous'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Longest actor id, in characters: well under what a btree entry of the actor index can hold. */
export const ACTOR_ID_MAX_LENGTH = 256;

/** The rule, as every actor error states it. */
export const ACTOR_RULE = `an actor is {"type": one of ${ACTOR_TYPES.join(', ')}; "id": a non-empty string of at most ${ACTOR_ID_MAX_LENGTH} characters or a whole number, which anonymous does not need}`;

/** Longest correlation or request id accepted anywhere (a header, recordAction, a timeline filter), in bytes. */
export const CONTEXT_ID_MAX_BYTES = 256;

/**
 * The characters JavaScript's `String.prototype.trim()` removes from either
 * end, as the body of a regular-expression class (PostgreSQL's and
 * JavaScript's syntax agree on it): the database trims an actor id with
 * exactly what ActorRef trims, so both store the same id.
 */
export const ACTOR_ID_TRIM_CLASS =
  '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** An actor id's length as the rule counts it: Unicode code points, as PostgreSQL's length() does. */
export function actorIdLength(id: string): number {
  return [...id].length;
}

/**
 * A JSON number's text as an actor id: its digits when it is a whole number
 * of at most 2^53 - 1 in size (`1.0` and `1e2` included, as the database
 * reads them), else undefined. Exact: `3.0000000000000001` is not whole,
 * though JavaScript reads it as 3.
 */
export function wholeNumberId(text: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = m;
  const exp = Number(exponent);
  // what PostgreSQL's numeric cannot hold ("value overflows numeric format"), the database refuses too
  if (Math.abs(exp) >= 1073741823 || fraction.length - exp > 16383) return undefined;
  const all = whole + fraction;
  const significant = all.replace(/^0+/, '');
  if (significant === '') return '0';
  // how many of the significant digits stand before the decimal point
  const point = whole.length + exp - (all.length - significant.length);
  if (point <= 0 || point > 16 || /[1-9]/.test(significant.slice(point))) return undefined;
  const integer = significant.slice(0, point).padEnd(point, '0');
  if (BigInt(integer) > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return `${sign}${integer}`;
}
