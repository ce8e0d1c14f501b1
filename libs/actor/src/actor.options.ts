import { InvalidOptionsError, optionProblems } from '@threadline/core';
import type { Request } from 'express';
import { ActorRef } from './actor-ref';
import { invalidDataSourceNames, MOUNT_CONTEXT_NOT_A_BOOLEAN, RESOLVE_ACTOR_NOT_A_FUNCTION } from './actor.messages';

/** What `resolveActor` may return: an ActorRef, a plain `{ type, id }`, or null for "no actor". */
export type ResolvedActor = ActorRef | { type: string; id?: string | number } | null | undefined;

export interface ActorOptions {
  /**
   * Who is acting in this request. Called lazily, at the first audited
   * transaction of the request (so after your guards have authenticated it),
   * and at most once per request. Return null for "no actor" (the audit rows
   * then have `actor_ref` NULL); an invalid value fails the write with a 500
   * and a logged reason, never a silently unattributed write.
   *
   * @example resolveActor: (req) => (req.user ? ActorRef.user(req.user.id) : ActorRef.anonymous())
   */
  resolveActor?: (request: Request) => ResolvedActor | Promise<ResolvedActor>;
  /** Mount nestjs-cls's middleware for every route (false if your app mounts ClsModule's middleware itself). @default true */
  mountContext?: boolean;
  /**
   * Names of further TypeORM DataSources whose writes carry the actor (the
   * `name` given to `TypeOrmModule.forRoot`), besides the default one. List
   * every DataSource that writes audited tables.
   *
   * @example dataSources: ['reporting']
   */
  dataSources?: string[];
}

export interface ResolvedActorOptions {
  resolveActor: (request: Request) => ResolvedActor | Promise<ResolvedActor>;
  /** False when the app gave no resolver: requests then have no actor (said once at boot). */
  resolverConfigured: boolean;
  mountContext: boolean;
  dataSources: string[];
}

const KEYS = ['resolveActor', 'mountContext', 'dataSources'];

/** What is wrong with the `actor` slice, each problem naming its option. */
export function actorOptionsProblems(options: ActorOptions | undefined): string[] {
  const problems = optionProblems('actor', options, KEYS);
  if (problems.length) return problems;
  if (options?.resolveActor !== undefined && typeof options.resolveActor !== 'function') {
    problems.push(RESOLVE_ACTOR_NOT_A_FUNCTION);
  }
  if (options?.mountContext !== undefined && typeof options.mountContext !== 'boolean') {
    problems.push(MOUNT_CONTEXT_NOT_A_BOOLEAN);
  }
  const names = options?.dataSources;
  if (
    names !== undefined &&
    (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name.trim() === ''))
  ) {
    problems.push(invalidDataSourceNames(names));
  }
  return problems;
}

export function resolveActorOptions(options: ActorOptions | undefined): ResolvedActorOptions {
  InvalidOptionsError.throwIfAny(actorOptionsProblems(options));
  return {
    resolveActor: options?.resolveActor ?? (() => null),
    resolverConfigured: options?.resolveActor !== undefined,
    mountContext: options?.mountContext ?? true,
    dataSources: options?.dataSources ?? [],
  };
}
