import { TableDescription } from '../catalog/table-description';
import { CAPTURE_FUNCTION, UNCAPTURE_FUNCTION } from '../schema/capture-functions.sql';
import { ResolvedCaptureOptions, ResolvedTableCaptureOptions } from '../capture.options';
import { literal, qualified } from '@threadline/core';
import { triggerNameFor } from './trigger-names';

export interface GeneratedSql {
  up: string;
  down: string;
}

type GlobalCaptureSettings = Pick<
  ResolvedCaptureOptions,
  'auditSchema' | 'maskPlaceholder' | 'recordNoopUpdates' | 'captureInReplicaRole'
>;

/** The settings a capture function is generated from, as `threadline_capture` takes them. */
export function captureSettings(options: ResolvedTableCaptureOptions, global: GlobalCaptureSettings) {
  return {
    exclude: options.exclude,
    mask: options.mask,
    exceptColumns: options.exceptColumns,
    maskPlaceholder: global.maskPlaceholder,
    storeChangedFrom: options.storeChangedFrom,
    recordNoopUpdates: global.recordNoopUpdates,
    captureInReplicaRole: global.captureInReplicaRole,
  };
}

/**
 * The SQL that installs capture on one table: a call of the database's own
 * generator (`threadline_capture`, installed with the audit schema), which
 * reads the live catalog and creates a statement-level AFTER trigger function
 * with transition tables (a statement touching N rows runs the audit logic
 * once, set-based) on the table and its partitions. Because the generator
 * lives in the database, the DDL event trigger can run it again whenever the
 * table's columns change (README "Schema changes").
 */
export function generateTriggerSql(
  table: Pick<TableDescription, 'schema' | 'table'>,
  options: ResolvedTableCaptureOptions,
  global: GlobalCaptureSettings,
): GeneratedSql {
  const name = literal(triggerNameFor(table.table));
  const target = `${literal(table.schema)}, ${literal(table.table)}`;
  const settings = literal(JSON.stringify(captureSettings(options, global)));
  // A table that does not exist yet (migrations before TypeORM's synchronize) is captured when it is created.
  const up = `-- Threadline capture for ${table.schema}.${table.table}
SELECT ${qualified(global.auditSchema, CAPTURE_FUNCTION)}(${target}, ${name}, ${settings}::jsonb);
`;
  const down = `SELECT ${qualified(global.auditSchema, UNCAPTURE_FUNCTION)}(${target}, ${name});
`;
  return { up, down };
}
