/** One of the spans Threadline's long work runs in. */
export interface ThreadlineSpan {
  name: string;
  description: string;
  /** Every attribute it carries; `error.type` (the error's class) when it failed. */
  attributes: readonly string[];
}

/** The spans Threadline starts (with `@opentelemetry/api` installed): the one list, the docs are generated from it. */
export const THREADLINE_SPANS = {
  job: {
    name: 'threadline.job',
    description:
      'A method run by `@ThreadlineJob` (a cron or queue handler), the parent of its writes: its audit transactions carry this trace',
    attributes: ['threadline.job.name', 'threadline.job.id'],
  },
  purge: {
    name: 'threadline.retention.purge',
    description:
      'A retention purge or its dry run (status only), its batches committed inside it; a purge that fails says what its batches deleted before',
    attributes: [
      'threadline.retention.dry_run',
      'threadline.retention.status',
      'threadline.retention.deleted_changes',
      'threadline.retention.deleted_transactions',
      'threadline.retention.batches',
      'threadline.retention.max_batches_reached',
    ],
  },
  export: {
    name: 'threadline.export',
    description: 'An export, from its first byte to its last',
    attributes: ['threadline.export.format', 'threadline.export.rows', 'threadline.export.truncated'],
  },
  baseline: {
    name: 'threadline.baseline',
    description: "A table's baseline (or its dry run)",
    attributes: [
      'db.collection.name',
      'threadline.baseline.status',
      'threadline.baseline.written',
      'threadline.baseline.batches',
    ],
  },
  coverage: {
    name: 'threadline.coverage.check',
    description: 'A coverage check (the health endpoint, the CLI, your calls to `report()`)',
    attributes: [
      'threadline.coverage.covered',
      'threadline.coverage.uncovered',
      'threadline.coverage.drifted',
      'threadline.coverage.ok',
    ],
  },
} as const satisfies Record<string, ThreadlineSpan>;
