// @threadline/operator: the audit routes and pages an auditor or on-call
// engineer uses, behind the app's `operator.authorize`.
export type { OperatorOptions } from './operator.options';
export * from './operator.errors';
export { ThreadlineOperatorModule } from './operator.module';
// the OpenAPI response schemas of the routes, for an app's own documents
export * from './openapi/audit-responses.dto';

// Internal: for @threadline/nestjs and the tests. Not part of the public API (@threadline/nestjs
// re-exports none of it); any release may change it.
export { operatorOptionsProblems, resolveOperatorOptions, type ResolvedOperatorOptions } from './operator.options';
export { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
export { TimelineQueryDto } from './audit-query.dto';
