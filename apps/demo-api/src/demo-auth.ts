import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/**
 * DEMO ONLY, not authentication: the `x-user-id` header names the acting
 * user and `x-demo-role: auditor` admits a request to audit routes. A real
 * app derives both from its verified session or token.
 */
export interface DemoActor {
  type: 'user' | 'anonymous';
  id?: string;
}

export function demoActorOf(request: Request): DemoActor {
  const id = request.header('x-user-id')?.trim();
  return id ? { type: 'user', id } : { type: 'anonymous' };
}

/** `@Actor() actor: DemoActor` in a controller method. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext) => demoActorOf(ctx.switchToHttp().getRequest()));
