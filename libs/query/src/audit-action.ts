import { isoUtc } from '@threadline/core';
import { DataSource } from 'typeorm';
import type { AuditTransaction } from './audit-change';
import type { ChangesQuery } from './changes-query';
import { pageBytes, pageLimit } from './page';
import { InvalidPageError } from './query.errors';
import { TRANSACTION_ID_PATTERN } from './timeline-filters';
import { AuditField, valueSql } from './audit-row';
import { Same } from './same';

/** The "why" of a transaction: the action recorded with it (recordAction), every stored column. */
export interface AuditAction {
  id: string;
  name: string;
  actor_ref: { type: string; id?: string };
  status: 'ok' | 'error';
  verb: string | null;
  category: string | null;
  reason: string | null;
  comment: string | null;
  correlation_id: string | null;
  request_id: string | null;
  job_id: string | null;
  /** The audit transaction it was recorded in (null only for actions recorded before schema v5). */
  transaction_id: string | null;
  /** ISO 8601 UTC with microseconds. */
  inserted_at: string;
}

/** The actions one transaction recorded: the first ones asked for, oldest first, and how many there are in all. */
export interface TransactionActions {
  actions: AuditAction[];
  total: number;
}

const text = { type: 'text', notNull: false } as const;
const nullableString = { type: String, nullable: true } as const;

/** The fields of an action (`audit_actions`, alias `a`), in the order they are presented; see AUDIT_CHANGE_FIELDS. */
export const AUDIT_ACTION_FIELDS = [
  { name: 'id', column: { type: 'uuid', notNull: true }, openapi: { format: 'uuid' } },
  { name: 'name', column: { type: 'text', notNull: true }, openapi: { example: 'post.published' } },
  { name: 'actor_ref', column: { type: 'jsonb', notNull: true }, openapi: { nested: 'ActorRef' } },
  { name: 'status', column: { type: 'text', notNull: true }, openapi: { enum: ['ok', 'error'] } },
  { name: 'verb', column: text, openapi: nullableString },
  { name: 'category', column: text, openapi: nullableString },
  { name: 'reason', column: text, openapi: nullableString },
  { name: 'comment', column: text, openapi: nullableString },
  { name: 'correlation_id', column: text, openapi: nullableString },
  { name: 'request_id', column: text, openapi: nullableString },
  { name: 'job_id', column: text, openapi: nullableString },
  {
    name: 'transaction_id',
    column: { type: 'uuid', notNull: false },
    openapi: { ...nullableString, format: 'uuid' },
  },
  {
    name: 'inserted_at',
    column: { type: 'timestamp with time zone', notNull: true },
    sql: (a) => isoUtc(`${a}.inserted_at`),
    openapi: { format: 'date-time', description: 'ISO 8601 UTC with microseconds' },
  },
] as const satisfies readonly AuditField<keyof AuditAction>[];

/** SQL: the select list of an action `a` as AuditAction. */
export function actionSelectSql(a: string): string {
  return (AUDIT_ACTION_FIELDS as readonly AuditField[]).map((f) => `${valueSql(f, a)} AS ${f.name}`).join(', ');
}

const actionFieldsMatch: Same<(typeof AUDIT_ACTION_FIELDS)[number]['name'], keyof AuditAction> = true;
void actionFieldsMatch;

/** See AuditQueryService.actionsOf. */
export async function readActions(
  dataSource: DataSource,
  query: ChangesQuery,
  transactions: (AuditTransaction | string)[],
  limit: number,
  maxBytes?: number,
): Promise<Map<string, TransactionActions>> {
  const ids = [...new Set(transactions.map((t) => (typeof t === 'object' && t ? t.id : t)))];
  for (const id of ids) if (!TRANSACTION_ID_PATTERN.test(id)) throw InvalidPageError.transactionId(id);
  const byTransaction = new Map<string, TransactionActions>();
  if (!ids.length) return byTransaction;
  const rows: (AuditAction & { of_transaction: string; total: string })[] = await dataSource.query(query.actions(), [
    ids,
    pageLimit(limit),
    pageBytes(maxBytes),
  ]);
  for (const { of_transaction: tx, total, ...action } of rows) {
    const of = byTransaction.get(tx) ?? { actions: [], total: Number(total) };
    // A transaction whose actions lie past the byte budget comes back once, with its total and no action.
    byTransaction.set(tx, action.id === null ? of : { ...of, actions: [...of.actions, action] });
  }
  return byTransaction;
}
