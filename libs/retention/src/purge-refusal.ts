import { archiveSql } from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { DataSource } from 'typeorm';
import { ARCHIVE_REFUSED, DISABLED, NOT_CONFIGURED } from './retention.messages';
import { RetentionPolicy } from './retention.options';
import { PurgeOptions, PurgeRefused } from './purge.types';

/**
 * Why a purge does not run, before it takes anything: retention not configured, not enabled (a dry run is allowed),
 * or this database an archive of the log (docs/scale.md): it keeps what its source purges. Null: it runs.
 */
export async function purgeRefusal(
  dataSource: DataSource,
  tables: AuditTables,
  policy: RetentionPolicy | null,
  options: PurgeOptions,
): Promise<PurgeRefused | null> {
  if (!policy) return { status: 'disabled', reason: NOT_CONFIGURED };
  if (!policy.enabled && !options.dryRun) return { status: 'disabled', reason: DISABLED };
  const [{ archive }] = await dataSource.query(`SELECT ${archiveSql(tables)} AS archive`);
  return archive ? { status: 'disabled', reason: ARCHIVE_REFUSED } : null;
}
