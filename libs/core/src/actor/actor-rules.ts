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
