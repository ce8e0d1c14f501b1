import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import {
  auditSchemaSql,
  CaptureOptions,
  describeTables,
  generateTriggerSql,
  resolveCaptureOptions,
  tableOptionsFor,
} from '../src';

/** A fresh database with the audit schema installed and a connected client. */
export interface CaptureHarness {
  db: TestDatabase;
  client: Client;
  /** Generates and applies capture for the given tables (`schema.table` or `table`). */
  capture(tables: string[], options?: CaptureOptions): Promise<void>;
  changes(where?: string): Promise<AuditChangeRow[]>;
  close(): Promise<void>;
}

export interface AuditChangeRow {
  id: string;
  transaction_id: string;
  table_schema: string;
  table_name: string;
  op: string;
  table_pk: Record<string, unknown>;
  previous_pk: Record<string, unknown> | null;
  data_after: Record<string, unknown> | null;
  changed_fields: string[] | null;
  changed_from: Record<string, unknown> | null;
}

export async function createCaptureHarness(auditSchema = 'public'): Promise<CaptureHarness> {
  const db = await createTestDatabase();
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query(auditSchemaSql(auditSchema).up);
  const queryable = { query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) };
  return {
    db,
    client,
    async capture(tables, options = {}) {
      const resolved = resolveCaptureOptions({ auditSchema, ...options });
      const refs = tables.map((name) => {
        const dot = name.indexOf('.');
        return dot > 0 ? { schema: name.slice(0, dot), table: name.slice(dot + 1) } : { schema: 'public', table: name };
      });
      const described = await describeTables(queryable, refs);
      for (const [i, ref] of refs.entries()) {
        await client.query(
          generateTriggerSql(described[i]!, tableOptionsFor(resolved, ref.schema, ref.table), resolved).up,
        );
      }
    },
    async changes(where = 'true') {
      const { rows } = await client.query(`SELECT * FROM "${auditSchema}".audit_changes WHERE ${where} ORDER BY id`);
      return rows;
    },
    async close() {
      await client.end();
      await db.drop();
    },
  };
}
