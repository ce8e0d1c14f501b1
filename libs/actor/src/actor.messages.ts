import { gotText } from '@threadline/core';
/**
 * The texts @threadline/actor returns, logs or answers a request with, in one
 * place; each says how to fix the problem. Thrown errors are in actor.errors.ts.
 */

/** Option problems (`actor...`). */
export const RESOLVE_ACTOR_NOT_A_FUNCTION = 'actor.resolveActor must be a function (request) => ActorRef | null';
export const MOUNT_CONTEXT_NOT_A_BOOLEAN = 'actor.mountContext must be true or false';

export function invalidDataSourceNames(got: unknown): string {
  return `actor.dataSources must be a list of TypeORM DataSource names, as given to TypeOrmModule.forRoot({ name }) ${gotText(got)}`;
}

export function unknownDataSource(name: string): string {
  return (
    `actor.dataSources names ${JSON.stringify(name)}, but the app has no TypeORM DataSource of that name ` +
    `(the name given to TypeOrmModule.forRoot({ name: ${JSON.stringify(name)}, ... }))`
  );
}

/** Logged at boot. */
export const NO_ACTOR_RESOLVER =
  'actor.resolveActor is not set, so audited writes made in requests are stored with no actor (actor_ref NULL). ' +
  'Pass actor: { resolveActor: (req) => (req.user ? ActorRef.user(req.user.id) : null) } to ThreadlineModule.forRoot, ' +
  'reading the user your auth guard or middleware set.';

export function unattributedDataSources(names: string[]): string {
  return (
    `TypeORM DataSource ${names.join(', ')} is not attributed: writes through it to audited ` +
    'tables are stored with no actor. If it writes audited tables, list it in actor.dataSources.'
  );
}

/** The 400 answered to a correlation or request id header that cannot be stored. */
export function invalidContextHeader(header: string, maxBytes: number): string {
  return `${header} must be a non-empty id of at most ${maxBytes} bytes; omit it to have one generated`;
}

/** Why `ActorRef.problem` rejects a value (InvalidActorError's detail). */
export function notAnActorObject(value: unknown): string {
  return `expected an object { type, id }, got ${JSON.stringify(value)}`;
}

export function unknownActorType(type: unknown, types: readonly string[]): string {
  return `type ${JSON.stringify(type)} is not one of ${types.join(', ')}`;
}

export function missingActorId(type: string): string {
  return `an actor of type ${type} needs a non-empty id`;
}

export const UNSTORABLE_ACTOR_ID = 'the id holds a NUL character or a lone surrogate, which PostgreSQL cannot store';

export function actorIdTooLong(length: number): string {
  return `the id has ${length} characters`;
}

/** class-validator's message for a property that is not a valid actor. */
export function notAValidActor(property: string | undefined, detail: string | undefined): string {
  return `${property} is not a valid actor: ${detail}`;
}
