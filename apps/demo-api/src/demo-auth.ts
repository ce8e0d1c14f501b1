import { BadRequestException, Controller, Get, Res } from '@nestjs/common';
import { ActorRef, InvalidActorError } from '@threadline/nestjs';
import type { Request, Response } from 'express';

/**
 * DEMO ONLY, not authentication: the `x-user-id` header names the acting
 * user (none: anonymous) and `x-demo-role: auditor` admits a request to the
 * audit routes. A real app derives both from its verified session or token,
 * typically `req.user` set by a guard (resolveActor runs after guards).
 */
export function demoActorOf(request: Request): ActorRef {
  const id = request.header('x-user-id')?.trim();
  if (!id) return ActorRef.anonymous();
  try {
    return ActorRef.user(id);
  } catch (error) {
    // a header no actor can be made of (over 256 bytes): the client's mistake, said as such, not a 500
    if (error instanceof InvalidActorError) throw new BadRequestException(`x-user-id: ${error.message}`);
    throw error;
  }
}

const ROLE_COOKIE = 'threadline_demo_role';

/** DEMO ONLY: `x-demo-role: auditor`, or the cookie set by /demo/auditor-session (for a browser), opens the /audit routes. */
export function demoIsAuditor(request: Request): boolean {
  if (request.header('x-demo-role') === 'auditor') return true;
  return (request.header('cookie') ?? '').split(';').some((c) => c.trim() === `${ROLE_COOKIE}=auditor`);
}

/** DEMO ONLY: lets a browser try the operator pages: sets the auditor cookie and goes to /audit/coverage. */
@Controller('demo')
export class DemoSessionController {
  @Get('auditor-session')
  signIn(@Res() res: Response): void {
    res.cookie(ROLE_COOKIE, 'auditor', { httpOnly: true, sameSite: 'strict', path: '/' }).redirect('/audit/coverage');
  }

  @Get('sign-out')
  signOut(@Res() res: Response): void {
    res.clearCookie(ROLE_COOKIE, { path: '/' }).redirect('/audit/coverage');
  }
}
