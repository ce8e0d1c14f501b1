import { Inject, Injectable } from '@nestjs/common';
import {
  ResolvedCaptureOptions,
  ResolvedTableCaptureOptions,
  STAMP_PREFIX,
  THREADLINE_CAPTURE_OPTIONS,
  triggerNameFor,
  TriggerStamp,
} from '@threadline/capture';
import { createHash } from 'crypto';
import { DataSource } from 'typeorm';

export type RedactionStatus = 'matches' | 'drift' | 'could_not_introspect';

export const REDACTION_STATUS_LABELS: Record<RedactionStatus, string> = {
  matches: 'Config matches deployed',
  drift: 'Drift detected',
  could_not_introspect: 'Could not introspect',
};

/** What one table's redaction looks like in config and in the deployed trigger function: names only, never values. */
export interface TableRedaction {
  table: string;
  status: RedactionStatus;
  label: string;
  configured: { exclude: string[]; mask: string[]; maskPlaceholder: string; exceptColumns: string[]; storeChangedFrom: boolean };
  deployed?: { exclude: string[]; mask: string[]; maskPlaceholder: string; exceptColumns: string[]; storeChangedFrom: boolean };
  /** For drift: each setting that differs, e.g. "mask: deployed lacks email". */
  differences: string[];
  /** For could_not_introspect: why. */
  reason?: string;
}

/**
 * Compares each configured table's `exclude` / `mask` (and the settings that
 * shape captured data) with what its deployed trigger function does, read
 * back from the stamp Threadline writes on the function. A function whose
 * body no longer hashes to its stamp was changed by hand: it cannot be read.
 */
@Injectable()
export class RedactionPolicyService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly capture: ResolvedCaptureOptions,
  ) {}

  /** Every configured table, or the given ones (a table absent from capture.tables is expected to have no redaction). */
  async redactionPolicy(tables: ResolvedTableCaptureOptions[] = this.capture.tables): Promise<TableRedaction[]> {
    if (tables.length === 0) return [];
    const rows: { ord: string; body: string | null; stamp: string | null }[] = await this.dataSource.query(
      `SELECT x.ord, p.prosrc AS body, obj_description(p.oid, 'pg_proc') AS stamp
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(s, f, ord)
       LEFT JOIN pg_namespace n ON n.nspname = x.s
       LEFT JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = x.f AND p.pronargs = 0
       ORDER BY x.ord`,
      [tables.map((t) => t.schema), tables.map((t) => triggerNameFor(t.table))],
    );
    return tables.map((t, i) => {
      const configured = {
        exclude: t.exclude,
        mask: t.mask,
        maskPlaceholder: this.capture.maskPlaceholder,
        exceptColumns: t.exceptColumns,
        storeChangedFrom: t.storeChangedFrom,
      };
      const table = `${t.schema}.${t.table}`;
      const row = rows[i];
      const cannot = (reason: string): TableRedaction => ({ table, status: 'could_not_introspect', label: REDACTION_STATUS_LABELS.could_not_introspect, configured, differences: [], reason });
      if (!row?.body) return cannot('no Threadline trigger function is deployed for this table; run gen-triggers and apply the migration');
      const stamp = parseStamp(row.stamp);
      if (!stamp) return cannot('the trigger function carries no Threadline stamp (created by hand or by an older version); regenerate it');
      if (createHash('sha256').update(row.body).digest('hex') !== stamp.bodySha256) {
        return cannot('the trigger function was changed outside Threadline (its body no longer matches its stamp); regenerate it');
      }
      const deployed = {
        exclude: stamp.exclude,
        mask: stamp.mask,
        maskPlaceholder: stamp.maskPlaceholder,
        exceptColumns: stamp.exceptColumns,
        storeChangedFrom: stamp.storeChangedFrom,
      };
      const differences = [
        ...listDifference('exclude', configured.exclude, deployed.exclude),
        ...listDifference('mask', configured.mask, deployed.mask),
        ...listDifference('exceptColumns', configured.exceptColumns, deployed.exceptColumns),
        ...(configured.maskPlaceholder !== deployed.maskPlaceholder ? ['maskPlaceholder differs'] : []),
        ...(configured.storeChangedFrom !== deployed.storeChangedFrom ? [`storeChangedFrom: configured ${configured.storeChangedFrom}, deployed ${deployed.storeChangedFrom}`] : []),
      ];
      const status: RedactionStatus = differences.length ? 'drift' : 'matches';
      return { table, status, label: REDACTION_STATUS_LABELS[status], configured, deployed, differences };
    });
  }
}

function parseStamp(comment: string | null): TriggerStamp | undefined {
  if (!comment?.startsWith(STAMP_PREFIX)) return undefined;
  try {
    const stamp = JSON.parse(comment.slice(STAMP_PREFIX.length)) as TriggerStamp;
    return stamp.version === 1 && typeof stamp.bodySha256 === 'string' ? stamp : undefined;
  } catch {
    return undefined;
  }
}

function listDifference(setting: string, configured: string[], deployed: string[]): string[] {
  const missing = configured.filter((c) => !deployed.includes(c));
  const extra = deployed.filter((d) => !configured.includes(d));
  return [
    ...(missing.length ? [`${setting}: deployed lacks ${missing.join(', ')}`] : []),
    ...(extra.length ? [`${setting}: deployed also has ${extra.join(', ')}`] : []),
  ];
}
