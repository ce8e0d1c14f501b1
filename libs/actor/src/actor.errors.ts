import { ACTOR_RULE, gotText, ThreadlineError } from '@threadline/core';
import type { ActorRefProblem } from './actor-ref';

/** The actor given is not valid: the message names what is wrong and states the rule, in the same words the database uses. */
export class InvalidActorError extends ThreadlineError {
  constructor(
    readonly reason: ActorRefProblem | 'malformed_actor',
    detail: string,
  ) {
    super(`Invalid actor (${reason}): ${detail}; ${ACTOR_RULE}`);
  }

  /** `ActorRef.parse` was given text that starts like JSON but is not. */
  static notJson(text: string): InvalidActorError {
    return new InvalidActorError('malformed_actor', `not valid JSON: ${text}`);
  }

  /** The JSON form repeats a key, which the database refuses. */
  static repeatedKey(text: string): InvalidActorError {
    return new InvalidActorError('malformed_actor', `a key appears twice: ${text}`);
  }
}

/** `recordAction` found no actor: none given and none in the request or job context. */
export class MissingActorError extends ThreadlineError {
  static create(): MissingActorError {
    return new MissingActorError(
      'recordAction needs an actor: pass options.actor, or call it inside a request or job context that has one',
    );
  }
}

/** `recordAction` was given a name, status or id the audit log cannot store. */
export class InvalidActionError extends ThreadlineError {
  static badName(maxLength: number): InvalidActionError {
    return new InvalidActionError(`recordAction: name must be a non-empty string of at most ${maxLength} characters`);
  }

  static badStatus(status: unknown): InvalidActionError {
    return new InvalidActionError(`recordAction: status must be 'ok' or 'error' ${gotText(status)}`);
  }

  static badContextId(label: string, maxBytes: number): InvalidActionError {
    return new InvalidActionError(`recordAction: ${label} must be a non-empty string of at most ${maxBytes} bytes`);
  }
}

/** `runJob` was given something other than what `ThreadlineContext.jobPayload()` made. */
export class InvalidJobPayloadError extends ThreadlineError {
  static create(): InvalidJobPayloadError {
    return new InvalidJobPayloadError(
      'runJob needs the payload made by ThreadlineContext.jobPayload(): { actor, correlationId, jobId, traceparent? }',
    );
  }
  static traceparent(value: unknown): InvalidJobPayloadError {
    return new InvalidJobPayloadError(
      `a job payload's traceparent must be a W3C traceparent, 00-<32 hex>-<16 hex>-<2 hex> with neither id all zeros, as jobPayload() writes it ${gotText(value)}`,
    );
  }
}
