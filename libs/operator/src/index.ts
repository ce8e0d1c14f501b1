// @threadline/operator: the audit routes and pages an auditor or on-call
// engineer uses, behind the app's `operator.authorize`.
export * from './operator.errors';
export * from './operator.options';
export * from './operator.constants';
export * from './audit-query.dto';
export { ThreadlineAuthorizeGuard } from './authorize.guard';
export { AuditController } from './audit.controller';
export { OperatorPagesController } from './operator-pages.controller';
export { OperatorExceptionFilter } from './operator-exception.filter';
export { OperatorPages } from './operator-pages.service';
export { OperatorMount } from './operator-mount';
export { ThreadlineOperatorModule } from './operator.module';
export { badgeText } from './pages/layout';
export * from './openapi/audit-responses.dto';
