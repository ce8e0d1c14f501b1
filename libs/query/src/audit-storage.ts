import { AuditTables, SqlParams } from '@threadline/core';
import { DataSource } from 'typeorm';
import { AuditStorageShape } from './changes-query';

/** How AuditQueryService reads a page of changes. */
export interface ReadHow {
  /** More conditions on the change `c` and its transaction `t`. */
  extra?: (params: SqlParams) => string[];
  direction?: 'older' | 'newer';
  /** Stop at this many bytes of change JSON. */
  maxBytes?: number;
  /** An upper bound on captured_at that `extra` sets (partitioned storage then skips the partitions after it). */
  upTo?: string;
}

/**
 * Whether audit_changes is partitioned (capture.partitioning), asked once the table exists and then remembered: the
 * queries then add the conditions that let PostgreSQL prune partitions (ChangesQuery.select).
 */
export class AuditStorage {
  private partitioned?: Promise<boolean>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tables: AuditTables,
  ) {}

  /** The storage to query, with `upTo`, an upper bound on captured_at the caller's own conditions set. */
  async of(upTo?: string): Promise<AuditStorageShape> {
    return { partitioned: await this.isPartitioned(), upTo: upTo === undefined ? [] : [upTo] };
  }

  private isPartitioned(): Promise<boolean> {
    this.partitioned ??= this.dataSource.query(`SELECT ${this.tables.partitionedSql()} AS partitioned`).then(
      ([row]: { partitioned: boolean | null }[]) => {
        if (row.partitioned === null) this.partitioned = undefined; // not installed yet: ask again next time
        return row.partitioned === true;
      },
      (error: unknown) => {
        this.partitioned = undefined; // a failed read (a lost connection) is not remembered: the next query asks again
        throw error;
      },
    );
    return this.partitioned;
  }
}
