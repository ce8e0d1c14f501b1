export interface ColumnDescription {
  name: string;
  /** `format_type()` of the column, e.g. `character varying(200)`. */
  type: string;
  /** Whether `IS DISTINCT FROM` works on the type directly; otherwise values are compared as text. */
  comparable: boolean;
}

export interface TableDescription {
  schema: string;
  table: string;
  columns: ColumnDescription[];
  /** Primary-key columns in key order; empty when the table has none. */
  primaryKey: string[];
}
