export interface ColumnDescription {
  name: string;
  /** `format_type()` of the column, e.g. `character varying(200)`. */
  type: string;
}

export interface TableDescription {
  schema: string;
  table: string;
  columns: ColumnDescription[];
  /** Primary-key columns in key order; empty when the table has none. */
  primaryKey: string[];
}
