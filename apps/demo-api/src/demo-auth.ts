import { ActorRef } from '@threadline/nestjs';
import type { Request } from 'express';

/**
 * DEMO ONLY, not authentication: the `x-user-id` header names the acting
 * user (none: anonymous) and `x-demo-role: auditor` admits a request to the
 * audit routes. A real app derives both from its verified session or token,
 * typically `req.user` set by a guard (resolveActor runs after guards).
 */
export function demoActorOf(request: Request): ActorRef {
  const id = request.header('x-user-id')?.trim();
  return id ? ActorRef.user(id) : ActorRef.anonymous();
}

/** DEMO ONLY: `x-demo-role: auditor` opens the /audit routes. */
export function demoIsAuditor(request: Request): boolean {
  return request.header('x-demo-role') === 'auditor';
}
