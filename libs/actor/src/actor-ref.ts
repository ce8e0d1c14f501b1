import { registerDecorator, ValidationOptions } from 'class-validator';
import {
  ACTOR_ID_MAX_LENGTH,
  ACTOR_TYPES,
  ActorType,
  actorIdLength,
  isLosslessNumber,
  parseStoredJson,
  wholeNumberId,
} from '@threadline/core';
import { InvalidActorError } from './actor.errors';
import {
  actorIdTooLong,
  missingActorId,
  notAnActorObject,
  notAValidActor,
  unknownActorType,
  UNSTORABLE_ACTOR_ID,
} from './actor.messages';

export { ACTOR_TYPES, ActorType };

/** Why an actor was rejected: the reference's reasons, and an id too long to index. */
export type ActorRefProblem = 'unknown_actor_type' | 'missing_actor_id' | 'actor_id_too_long';

/**
 * Who made a change: `{ type, id }`. `id` is required and non-empty for every
 * type except `anonymous`, which has none.
 *
 * @example ActorRef.user('42'); ActorRef.system('nightly-cleanup'); ActorRef.parse('user:42')
 */
export class ActorRef {
  private constructor(
    readonly type: ActorType,
    readonly id?: string,
  ) {}

  static user(id: string): ActorRef {
    return ActorRef.of({ type: 'user', id });
  }
  static admin(id: string): ActorRef {
    return ActorRef.of({ type: 'admin', id });
  }
  static serviceAccount(id: string): ActorRef {
    return ActorRef.of({ type: 'service_account', id });
  }
  static job(id: string): ActorRef {
    return ActorRef.of({ type: 'job', id });
  }
  static system(id: string): ActorRef {
    return ActorRef.of({ type: 'system', id });
  }
  static anonymous(): ActorRef {
    return new ActorRef('anonymous');
  }

  /** Validates a plain `{ type, id }` (or an ActorRef) and returns an ActorRef; throws InvalidActorError with the reason. */
  static of(value: unknown): ActorRef {
    if (value instanceof ActorRef) return value;
    const problem = ActorRef.problem(value);
    if (problem) throw new InvalidActorError(problem.reason, problem.detail);
    const { type, id } = value as { type: ActorType; id?: unknown };
    return type === 'anonymous' ? ActorRef.anonymous() : new ActorRef(type, idText(id)!);
  }

  /** Why `value` is not a valid actor, or undefined when it is. */
  static problem(value: unknown): { reason: ActorRefProblem | 'malformed_actor'; detail: string } | undefined {
    if (value instanceof ActorRef) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { reason: 'malformed_actor', detail: notAnActorObject(value) };
    }
    const { type, id } = value as { type?: unknown; id?: unknown };
    if (typeof type !== 'string' || !(ACTOR_TYPES as readonly string[]).includes(type)) {
      return {
        reason: 'unknown_actor_type',
        detail: unknownActorType(type, ACTOR_TYPES),
      };
    }
    if (type !== 'anonymous' && idText(id) === undefined) {
      return { reason: 'missing_actor_id', detail: missingActorId(type) };
    }
    if (type !== 'anonymous' && typeof id === 'string' && (id.includes('\u0000') || /[\uD800-\uDFFF]/u.test(id))) {
      return { reason: 'malformed_actor', detail: UNSTORABLE_ACTOR_ID };
    }
    if (type !== 'anonymous' && actorIdLength(idText(id)!) > ACTOR_ID_MAX_LENGTH) {
      return { reason: 'actor_id_too_long', detail: actorIdTooLong(actorIdLength(idText(id)!)) };
    }
    return undefined;
  }

  /** Accepts `type:id` (`user:42`, `anonymous`) or the JSON form. */
  static parse(text: string): ActorRef {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      let value: unknown;
      try {
        // numbers exactly as written: 3.0000000000000001 is not the whole number 3
        // the text as given: around JSON only JSON's own whitespace is allowed, as the database reads it
        value = parseStoredJson(text);
      } catch {
        throw InvalidActorError.notJson(text);
      }
      // lossless-json keeps a key given twice with the same value; the database refuses any repeat
      if (value !== null && typeof value === 'object' && topLevelKeyCount(trimmed) !== Object.keys(value).length)
        throw InvalidActorError.repeatedKey(text);
      return ActorRef.of(value);
    }
    const colon = trimmed.indexOf(':');
    return colon < 0
      ? ActorRef.of({ type: trimmed })
      : ActorRef.of({ type: trimmed.slice(0, colon), id: trimmed.slice(colon + 1) });
  }

  /** `user:42`, or `anonymous`. */
  toString(): string {
    return this.id === undefined ? this.type : `${this.type}:${this.id}`;
  }

  /** The JSON stored in `threadline.actor_ref` and `actor_ref` columns: keys in a fixed order. */
  toJSON(): { type: ActorType; id?: string } {
    return this.id === undefined ? { type: this.type } : { type: this.type, id: this.id };
  }

  serialize(): string {
    return JSON.stringify(this.toJSON());
  }

  equals(other: ActorRef): boolean {
    return this.type === other.type && this.id === other.id;
  }
}

/**
 * An id as the actor rule stores it: a string trimmed as JavaScript's trim()
 * does (undefined when empty), or a whole number of at most 2^53 - 1 as its
 * digits (a LosslessNumber is read from its exact text); undefined otherwise.
 */
function idText(id: unknown): string | undefined {
  if (typeof id === 'string') return id.trim() === '' ? undefined : id.trim();
  if (typeof id === 'number') return Number.isSafeInteger(id) ? String(id) : undefined; // String(-0) is '0'
  if (isLosslessNumber(id)) return wholeNumberId(id.value);
  return undefined;
}

/** class-validator: the property is a valid actor (`{ type, id }` or an ActorRef). */
export function IsActorRef(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isActorRef',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => ActorRef.problem(value) === undefined,
        defaultMessage: (args) => notAValidActor(args?.property, ActorRef.problem(args?.value)?.detail),
      },
    });
}

/** How many keys the outermost object of valid JSON `text` writes, repeats included. */
function topLevelKeyCount(text: string): number {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      let next = i + 1;
      while (' \t\n\r'.includes(text[next])) next++;
      if (depth === 1 && text[next] === ':') keys++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}
