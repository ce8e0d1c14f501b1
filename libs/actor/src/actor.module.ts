import { readFileSync } from 'fs';
import { logLine } from '@threadline/core';
import * as path from 'path';
import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationBootstrap,
  RequestMethod,
} from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { ActionRecorder } from './action-recorder.service';
import { THREADLINE_ACTOR_OPTIONS } from './actor.constants';
import { ACTOR_MODULE_OPTIONS, ActorConfigurableModule } from './actor.module-definition';
import { ActorOptions, resolveActorOptions, ResolvedActorOptions } from './actor.options';
import { PlatformRequestInterceptor } from './platform-request.interceptor';
import { ThreadlineContext } from './threadline-context';
import { ThreadlineContextMiddleware } from './threadline-context.middleware';
import { TransactionScope } from './transaction-scope';
import { NO_ACTOR_RESOLVER } from './actor.messages';

/**
 * Who is acting: request and job context (nestjs-cls), the transaction scope
 * that hands the actor to the capture triggers, and `recordAction`. Needs the
 * app's TypeORM `DataSource`.
 */
@Module({
  imports: [ClsModule.forRoot({ global: true }), DiscoveryModule],
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
    { provide: APP_INTERCEPTOR, useClass: PlatformRequestInterceptor },
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
    logLine(new Logger(ThreadlineActorModule.name), 'warn', 'actor:no_resolver', NO_ACTOR_RESOLVER);
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.options.mountContext) {
      consumer.apply(ThreadlineContextMiddleware).forRoutes({ path: everyRoute(), method: RequestMethod.ALL });
    }
  }
}

/**
 * Every route, in the installed NestJS's wildcard syntax: `{*path}` from NestJS 11 on (path-to-regexp 8), `*` in
 * NestJS 10, which reads `{*path}` as a literal path and would leave every request without its context (and its
 * writes without an actor). The major version is read from the package NestJS resolves to.
 */
export function everyRoute(): string {
  const manifest = path.join(path.dirname(require.resolve('@nestjs/core')), 'package.json');
  const major = Number((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version.split('.')[0]);
  return major >= 11 ? '{*path}' : '*';
}
