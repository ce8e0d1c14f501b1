import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { ThreadlineContext } from './threadline-context';

/**
 * Hands the actor resolver the request object guards authenticated. Nest
 * middleware gets Node's request: under Express that is the request guards
 * see, but under Fastify guards (Passport's included) set `user` on Fastify's
 * request, which wraps Node's as `raw`. Before the handler runs, the context's
 * request becomes the platform's own (and the client IP Fastify reports,
 * which honours its trustProxy), unless the actor was already resolved.
 */
@Injectable()
export class PlatformRequestInterceptor implements NestInterceptor {
  constructor(private readonly context: ThreadlineContext) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const state = execution.getType() === 'http' ? this.context.state() : undefined;
    if (state?.request && state.actor === undefined) {
      const request = execution.switchToHttp().getRequest<Request & { raw?: unknown }>();
      if (request !== state.request && request.raw === state.request) {
        state.request = request;
        state.ip = request.ip ?? state.ip;
      }
    }
    return next.handle();
  }
}
