import { Module } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';

/**
 * Exploration queries over the audit log: the timeline, a row's history, a row as of a time, one
 * transaction's changes with their previous images. Exports (@threadline/export) and the operator's
 * routes and pages (@threadline/operator) read through it.
 */
@Module({
  providers: [AuditQueryService],
  exports: [AuditQueryService],
})
export class ThreadlineQueryModule {}
