// @threadline/actor: who is acting, for every write and recorded action: ActorRef, the request and job
// context, and recordAction.
export * from './actor.errors';
export * from './actor-ref';
export type { ActorOptions, ResolvedActor } from './actor.options';
export type { ContextState, JobContextPayload } from './context-state';
export { ThreadlineContext, ThreadlineJob } from './threadline-context';
export { ThreadlineContextMiddleware } from './threadline-context.middleware';
export * from './action-recorder.service';
export { ThreadlineActorModule } from './actor.module';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { actorOptionsProblems, type ResolvedActorOptions } from './actor.options';
export { THREADLINE_ACTOR_OPTIONS } from './actor.constants';
