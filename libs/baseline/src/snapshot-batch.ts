import { SnapshotSql } from '@threadline/capture';
import { AuditTables } from '@threadline/core';
import { QueryRunner } from 'typeorm';
import { SnapshotNotAllowedError } from './baseline.errors';

const DEADLOCK = '40P01';
const CHECK_VIOLATION = '23514';

/** One batch and its cursor in one short transaction; a deadlock with an application write is retried. */
export async function writeSnapshotBatch(
  runner: QueryRunner,
  tables: AuditTables,
  id: string,
  sql: SnapshotSql,
  cursor: Record<string, unknown> | null,
  limit: number,
  table: string,
) {
  const from = cursor ? [JSON.stringify(cursor)] : [];
  for (let attempt = 1; ; attempt++) {
    await runner.startTransaction();
    try {
      const [{ locked, last_pk }] = await runner.query(cursor ? sql.lock.next : sql.lock.first, [...from, limit]);
      const written =
        locked === 0
          ? 0
          : ((
              await runner.query(
                cursor ? sql.write.next : sql.write.first,
                [id, ...from, JSON.stringify(last_pk)],
                true,
              )
            ).affected ?? 0);
      const {
        records: [{ snapshots }],
      } = await runner.query(
        `UPDATE ${tables.transactions} SET meta = meta || jsonb_build_object('cursor', $2::jsonb, 'snapshots', (meta ->> 'snapshots')::bigint + $3)
         WHERE id = $1 RETURNING (meta ->> 'snapshots')::bigint AS snapshots`,
        [id, last_pk === null ? (cursor ? JSON.stringify(cursor) : null) : JSON.stringify(last_pk), written],
        true,
      );
      await runner.commitTransaction();
      return {
        locked: Number(locked),
        written: Number(written),
        lastPk: last_pk as Record<string, unknown> | null,
        snapshots: Number(snapshots),
      };
    } catch (error) {
      await runner.rollbackTransaction();
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === DEADLOCK && attempt < 5) continue;
      if (code === CHECK_VIOLATION) {
        throw SnapshotNotAllowedError.create(table, tables.changes);
      }
      throw error;
    }
  }
}
