// The stamp is written by the in-database generator (threadline_capture_sql,
// sql/009-capture-generator.sql) as the capture function's comment, and
// read back here: its shape and its parsing live in this one file.

/**
 * What the stamp on a deployed capture function records (its comment,
 * `threadline:` + JSON), so deployed redaction can be read back and compared,
 * and PostgreSQL can regenerate the function when the table changes.
 */
export interface TriggerStamp {
  /**
   * 5 (schema v10): a one-row UPDATE is paired without numbering and joining its rows;
   * 4: it records its column layout, and a self-guarding one falls back to masking what it cannot classify;
   * 3: the function runs with its owner's rights (SECURITY DEFINER); 2: it follows schema changes.
   */
  version: 1 | 2 | 3 | 4 | 5;
  table: string;
  auditSchema?: string;
  /** Configured names, as deployed. */
  exclude: string[];
  mask: string[];
  exceptColumns: string[];
  maskPlaceholder: string;
  storeChangedFrom: boolean;
  recordNoopUpdates: boolean;
  /** v2: the triggers fire under session_replication_role = replica too (ENABLE ALWAYS); absent means false. */
  captureInReplicaRole?: boolean;
  /** v2: the columns each setting applies to now (a renamed column keeps its setting through its attribute number). */
  excludedColumns?: string[];
  maskedColumns?: string[];
  exceptedColumns?: string[];
  excludeAttnums?: number[];
  maskAttnums?: number[];
  exceptAttnums?: number[];
  /** v3 from schema v6: the highest attribute number when capture was last generated from the configuration. */
  classifiedThrough?: number;
  /**
   * v3 from schema v6: columns masked because they were added to a table with redaction after
   * capture was last generated from the configuration (fail closed until it says what they are).
   */
  unclassifiedColumns?: string[];
  /** v2: `name:type` of the table's columns when the function was generated. */
  columnSignature?: string;
  /** v4: the table's exact column layout (`attnum:type:quoted name`, in attribute order) when the function was generated. */
  columnLayout?: string;
  /** v2: the function checks the columns itself (no DDL event trigger fired when it was generated). */
  guarded?: boolean;
  /** v4, self-guarding functions: the table's relation id when generated (a restore into another cluster changes it). */
  relid?: number;
  /** sha256 of the function body as generated: a body changed by hand no longer matches it. */
  bodySha256: string;
}

export const STAMP_PREFIX = 'threadline:';

/** The stamp of a capture function's comment, or undefined when it is none Threadline wrote (or a version it cannot read). */
export function parseStamp(comment: string | null): TriggerStamp | undefined {
  if (!comment?.startsWith(STAMP_PREFIX)) return undefined;
  try {
    const stamp = JSON.parse(comment.slice(STAMP_PREFIX.length)) as TriggerStamp;
    return [1, 2, 3, 4, 5].includes(stamp.version) && typeof stamp.bodySha256 === 'string' ? stamp : undefined;
  } catch {
    return undefined;
  }
}
