import { Controller, Type } from '@nestjs/common';
import { AuditController } from '../audit.controller';
import { OperatorPagesController } from './operator-pages.controller';

/**
 * The audit routes and pages mounted at `path`. Nest reads a controller's
 * path from its class, so each mount is a subclass carrying that path; the
 * routes, guard and filters come from the base classes.
 */
export function operatorControllers(path: string): Type[] {
  @Controller(path)
  class ThreadlineAuditController extends AuditController {}
  @Controller(path)
  class ThreadlineOperatorPagesController extends OperatorPagesController {}
  return [ThreadlineAuditController, ThreadlineOperatorPagesController];
}
