import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { errorType, logLine } from '@threadline/core';
import type { Request } from 'express';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import { ResolvedOperatorOptions } from './operator.options';
import { authorizeThrew, NOT_AUTHORIZED, ROUTES_CLOSED } from './operator.messages';

/**
 * 404 when the app gave no `operator` options (forRootAsync without them).
 * Fails closed: no `authorize` configured, a false answer, or a throw are all 403, with no
 * audit data in the body.
 */
@Injectable()
export class ThreadlineAuthorizeGuard implements CanActivate {
  private readonly logger = new Logger(ThreadlineAuthorizeGuard.name);

  constructor(@Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.options.mounted) throw new NotFoundException();
    const authorize = this.options.authorize;
    if (!authorize) throw new ForbiddenException(ROUTES_CLOSED);
    let allowed = false;
    try {
      allowed = (await authorize(context.switchToHttp().getRequest<Request>())) === true;
    } catch (error) {
      logLine(this.logger, 'error', 'operator:authorize_threw', authorizeThrew(error), {
        error_type: errorType(error),
      });
    }
    if (!allowed) throw new ForbiddenException(NOT_AUTHORIZED);
    return true;
  }
}
