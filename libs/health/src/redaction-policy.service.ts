import { Inject, Injectable } from '@nestjs/common';
import {
  captureDifferences,
  readDeployedCapture,
  ResolvedCaptureOptions,
  ResolvedTableCaptureOptions,
  THREADLINE_CAPTURE_OPTIONS,
  unreadableReason,
} from '@threadline/capture';
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
  configured: {
    exclude: string[];
    mask: string[];
    maskPlaceholder: string;
    exceptColumns: string[];
    storeChangedFrom: boolean;
  };
  deployed?: {
    exclude: string[];
    mask: string[];
    maskPlaceholder: string;
    exceptColumns: string[];
    storeChangedFrom: boolean;
  };
  /** For drift: each setting that differs, e.g. "mask: deployed lacks email". */
  differences: string[];
  /** For could_not_introspect: why. */
  reason?: string;
}

/**
 * Compares each configured table's `exclude` / `mask` (and the settings that
 * shape captured data) with what its deployed trigger function does, read
 * back from the stamp Threadline writes on the function: the columns each
 * setting applies to now (a renamed masked column stays masked, and shows as
 * drift until capture.tables names it), a function whose columns no longer
 * match the table, partitions without capture. A function whose body no
 * longer hashes to its stamp was changed by hand: it cannot be read.
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
    const deployedCapture = await readDeployedCapture(this.dataSource, this.capture.auditSchema, tables);
    return tables.map((t, i) => {
      const configured = {
        exclude: t.exclude,
        mask: t.mask,
        maskPlaceholder: this.capture.maskPlaceholder,
        exceptColumns: t.exceptColumns,
        storeChangedFrom: t.storeChangedFrom,
      };
      const table = `${t.schema}.${t.table}`;
      const found = deployedCapture[i];
      const reason = unreadableReason(found);
      if (reason)
        return {
          table,
          status: 'could_not_introspect',
          label: REDACTION_STATUS_LABELS.could_not_introspect,
          configured,
          differences: [],
          reason,
        };
      const stamp = found.stamp!;
      const deployed = {
        exclude: stamp.excludedColumns ?? stamp.exclude,
        mask: stamp.maskedColumns ?? stamp.mask,
        maskPlaceholder: stamp.maskPlaceholder,
        exceptColumns: stamp.exceptedColumns ?? stamp.exceptColumns,
        storeChangedFrom: stamp.storeChangedFrom,
      };
      const differences = captureDifferences(t, this.capture, found);
      const status: RedactionStatus = differences.length ? 'drift' : 'matches';
      return { table, status, label: REDACTION_STATUS_LABELS[status], configured, deployed, differences };
    });
  }
}
