import { Module } from '@nestjs/common';
import { BaselineCommand } from './baseline.command';
import { BaselineService } from './baseline.service';

/**
 * Baselines: a snapshot of each existing row of a captured table, recorded as one audit transaction per
 * batch, so rows written before capture began have history too; and the `baseline` command. It checks
 * each table's coverage and redaction with @threadline/health's services first: register
 * ThreadlineHealthModule too (global; ThreadlineModule does).
 */
@Module({
  providers: [BaselineService, BaselineCommand],
  exports: [BaselineService],
})
export class ThreadlineBaselineModule {}
