export * from './actor-ref';
export * from './actor.options';
export * from './actor.constants';
export * from './context-state';
export { ThreadlineContext, ThreadlineJob } from './threadline-context';
export { ThreadlineContextMiddleware } from './threadline-context.middleware';
export { TransactionScope } from './transaction-scope';
export * from './action-recorder.service';
export { ThreadlineActorModule } from './actor.module';
