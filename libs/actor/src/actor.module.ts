import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationBootstrap,
  RequestMethod,
} from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { ActionRecorder } from './action-recorder.service';
import { THREADLINE_ACTOR_OPTIONS } from './actor.constants';
import { ACTOR_MODULE_OPTIONS, ActorConfigurableModule } from './actor.module-definition';
import { ActorOptions, resolveActorOptions, ResolvedActorOptions } from './actor.options';
import { ThreadlineContext } from './threadline-context';
import { ThreadlineContextMiddleware } from './threadline-context.middleware';
import { TransactionScope } from './transaction-scope';

/**
 * Who is acting: request and job context (nestjs-cls), the transaction scope
 * that hands the actor to the capture triggers, and `recordAction`. Needs the
 * app's TypeORM `DataSource`.
 */
@Module({
  imports: [ClsModule.forRoot({ global: true })],
  providers: [
    {
      provide: THREADLINE_ACTOR_OPTIONS,
      useFactory: (o: ActorOptions | undefined) => resolveActorOptions(o),
      inject: [ACTOR_MODULE_OPTIONS],
    },
    ThreadlineContext,
    TransactionScope,
    ActionRecorder,
    ThreadlineContextMiddleware,
  ],
  exports: [THREADLINE_ACTOR_OPTIONS, ThreadlineContext, TransactionScope, ActionRecorder, ThreadlineContextMiddleware],
})
export class ThreadlineActorModule extends ActorConfigurableModule implements NestModule, OnApplicationBootstrap {
  constructor(@Inject(THREADLINE_ACTOR_OPTIONS) private readonly options: ResolvedActorOptions) {
    super();
  }

  /** Without a resolver every request's audit rows have no actor: legal, but rarely meant, so it is said once. */
  onApplicationBootstrap(): void {
    if (this.options.resolverConfigured || !this.options.mountContext) return;
    new Logger('ThreadlineActor').warn(
      'actor.resolveActor is not set, so audited writes made in requests are stored with no actor (actor_ref NULL). ' +
        'Pass actor: { resolveActor: (req) => (req.user ? ActorRef.user(req.user.id) : null) } to ThreadlineModule.forRoot, ' +
        'reading the user your auth guard or middleware set.',
    );
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.options.mountContext) {
      consumer.apply(ThreadlineContextMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
    }
  }
}
