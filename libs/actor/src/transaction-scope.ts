import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ACTOR_SETTING, CORRELATION_SETTING, REQUEST_SETTING, TRACE_SETTING } from '@threadline/capture';
import {
  AuditTables,
  cachedTransactionSql,
  InvalidOptionsError,
  cachedTransactionIdSql,
  literal,
  threadlineEvents,
  transactionCacheMatchesSql,
  TransactionCommittedEvent,
  logLine,
} from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { THREADLINE_ACTOR_OPTIONS } from './actor.constants';
import type { ResolvedActorOptions } from './actor.options';
import { ThreadlineContext } from './threadline-context';
import { PgClient, pgQueryClass, sendSettingsFirst } from './settings-first';
import { unattributedDataSources, unknownDataSource } from './actor.messages';

const INSTRUMENTED = Symbol('threadline.instrumented');
const ISOLATION_LEVELS = ['READ UNCOMMITTED', 'READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'];
// Statements that may write: a CTE may hold an INSERT / UPDATE / DELETE, so WITH counts too (a read-only one
// merely runs in its own transaction). Leading comments are skipped: TypeORM's QueryBuilder.comment() puts one first.
const WRITE = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(INSERT|UPDATE|DELETE|MERGE|WITH|TRUNCATE)\b/i;

type InstrumentedDataSource = DataSource & { [INSTRUMENTED]?: true };

/**
 * Makes every TypeORM transaction opened inside a request or job context
 * carry that context's actor, correlation id and request id, with no SQL in
 * the app. `save()`/`remove()` open their own transactions and are covered.
 *
 * The settings are transaction-local (`set_config(..., true)`): they vanish at
 * commit or rollback, so a pooled connection (PgBouncer in transaction mode)
 * never carries them into someone else's transaction. They travel in the
 * same round trip as `START TRANSACTION`, once per transaction, not per
 * statement. A write made outside any transaction (repository.insert /
 * update / delete, QueryBuilder execute(), a raw query) is run in a
 * transaction of its own carrying them.
 */
@Injectable()
export class TransactionScope implements OnModuleInit {
  private readonly logger = new Logger(TransactionScope.name);
  private readonly committedSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly context: ThreadlineContext,
    @Inject(THREADLINE_ACTOR_OPTIONS) private readonly options: ResolvedActorOptions,
    private readonly moduleRef: ModuleRef,
    private readonly discovery: DiscoveryService,
    @Optional() tables: AuditTables = AuditTables.DEFAULT,
  ) {
    const [cached, xid] = [cachedTransactionSql(tables.schema), 'txid_current_if_assigned()'];
    this.committedSql = `SELECT x.id AS "auditTransactionId",
  (SELECT count(*)::int FROM jsonb_array_elements(g.changes)) AS "tableCount", g.changes,
  EXISTS (SELECT 1 FROM ${tables.transactions} AS t WHERE t.id = x.id AND t.actor_ref IS NOT NULL) AS attributed
FROM (SELECT CASE WHEN ${transactionCacheMatchesSql(cached, xid)}
             THEN ${cachedTransactionIdSql(cached, xid)} END AS id) AS x,
LATERAL (SELECT coalesce(jsonb_agg(jsonb_build_object('table', c.table_schema || '.' || c.table_name, 'count', c.n)), '[]') AS changes
         FROM (SELECT table_schema, table_name, count(*)::int AS n FROM ${tables.changes}
               WHERE transaction_id = x.id GROUP BY 1, 2 ORDER BY 1, 2) AS c) AS g`;
  }

  /** Instruments the default DataSource and those named in `actor.dataSources`; names other PostgreSQL ones once. */
  onModuleInit(): void {
    const named = this.options.dataSources.map((name) => {
      try {
        return this.moduleRef.get<DataSource>(getDataSourceToken(name), { strict: false });
      } catch {
        throw InvalidOptionsError.of([unknownDataSource(name)]);
      }
    });
    for (const ds of [this.dataSource, ...named]) this.instrumentDataSource(ds);
    // named by their provider token, `<name>DataSource` (TypeORM 1.x DataSources carry no name)
    const unattributed = this.discovery
      .getProviders()
      .filter((wrapper) => {
        const instance = wrapper.instance as unknown;
        return (
          instance instanceof DataSource &&
          instance.options.type === 'postgres' &&
          !(instance as InstrumentedDataSource)[INSTRUMENTED]
        );
      })
      .map((wrapper) => JSON.stringify(String(wrapper.token).replace(/DataSource$/, '')));
    if (unattributed.length)
      logLine(
        this.logger,
        'warn',
        'actor:unattributed_data_sources',
        unattributedDataSources([...new Set(unattributed)]),
      );
  }

  private instrumentDataSource(source: DataSource): void {
    const ds = source as InstrumentedDataSource;
    if (ds[INSTRUMENTED]) return;
    ds[INSTRUMENTED] = true;
    const create = ds.createQueryRunner.bind(ds);
    ds.createQueryRunner = (mode) => this.instrument(create(mode));
  }

  private instrument(runner: QueryRunner): QueryRunner {
    const startTransaction = runner.startTransaction.bind(runner);
    const commitTransaction = runner.commitTransaction.bind(runner);
    const query = runner.query.bind(runner) as (
      sql: string,
      parameters?: unknown[],
      structured?: boolean,
    ) => Promise<unknown>;
    let opening: { settings: string; isolation?: string } | undefined;
    let skipIsolation: string | undefined;

    runner.startTransaction = async (isolationLevel) => {
      const depth = (runner as unknown as { transactionDepth: number }).transactionDepth;
      const settings = depth === 0 ? await this.settingsSql() : undefined;
      opening = settings ? { settings, isolation: isolationLevel } : undefined;
      try {
        return await startTransaction(isolationLevel);
      } finally {
        opening = undefined;
        skipIsolation = undefined;
      }
    };

    // The committed event costs one query per audited transaction, and only while someone listens.
    runner.commitTransaction = async () => {
      const depth = (runner as unknown as { transactionDepth: number }).transactionDepth;
      const listening = depth === 1 && threadlineEvents.transactionCommitted.hasSubscribers;
      const committed = listening ? await this.committedEvent(runner) : undefined;
      await commitTransaction();
      if (committed?.auditTransactionId) threadlineEvents.transactionCommitted.publish(committed);
    };

    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) => {
      if (opening && sql === 'START TRANSACTION') {
        const { settings, isolation } = opening;
        opening = undefined;
        let head = sql;
        if (isolation && ISOLATION_LEVELS.includes(isolation)) {
          // The level must be set before any query of the transaction, so it joins the opening statement.
          head = `START TRANSACTION ISOLATION LEVEL ${isolation}`;
          skipIsolation = `SET TRANSACTION ISOLATION LEVEL ${isolation}`;
        }
        return query(`${head}; ${settings}`, parameters, structured);
      }
      if (skipIsolation && sql === skipIsolation) {
        skipIsolation = undefined;
        return Promise.resolve(structured ? { records: [], raw: [] } : []);
      }
      if (!runner.isTransactionActive && WRITE.test(sql) && this.context.state())
        return this.inOwnTransaction(runner, query, sql, parameters, structured);
      return query(sql, parameters, structured);
    }) as QueryRunner['query'];

    return runner;
  }

  /**
   * The committed event's facts, read just before COMMIT inside a savepoint, in one round trip: a query that fails
   * (a `SET LOCAL ROLE` that cannot read the audit tables, a statement timeout, a serialization failure) is rolled
   * back to the savepoint, so the app's transaction commits exactly as it would without the event. A transaction
   * that had already failed stays failed (its COMMIT rolls back, as TypeORM sends it) and publishes nothing.
   */
  private async committedEvent(runner: QueryRunner): Promise<TransactionCommittedEvent | undefined> {
    const client = (await runner.connect()) as { query(sql: string): Promise<{ rows: unknown[] }[]> };
    try {
      const results = await client.query(
        `SAVEPOINT threadline_committed_event; ${this.committedSql}; RELEASE SAVEPOINT threadline_committed_event`,
      );
      return results[1].rows[0] as TransactionCommittedEvent | undefined;
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT threadline_committed_event').catch(() => undefined);
      return undefined;
    }
  }

  /**
   * A write with no transaction around it (repository.insert / update /
   * delete, a QueryBuilder's execute(), a raw query) runs in a transaction of
   * its own that carries the context's settings, so it is attributed like any
   * other. With parameters (every ORM write) the settings and the write go in
   * one round trip as one implicit transaction (settings-first.ts); a raw
   * query without parameters, which may hold several statements, takes two
   * more (START with the settings, COMMIT).
   */
  private async inOwnTransaction(
    runner: QueryRunner,
    query: (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>,
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
  ): Promise<unknown> {
    const settings = await this.settingsSql();
    if (!settings) return query(sql, parameters, structured);
    const Query = pgQueryClass((runner.connection.driver as { postgres?: unknown }).postgres);
    if (parameters?.length && Query) {
      const restore = sendSettingsFirst((await runner.connect()) as PgClient, Query, settings, sql, parameters);
      try {
        return await query(sql, parameters, structured);
      } finally {
        restore();
      }
    }
    await query(`START TRANSACTION; ${settings}`);
    let result: unknown;
    try {
      result = await query(sql, parameters, structured);
    } catch (error) {
      await query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await query('COMMIT');
    return result;
  }

  /** `SELECT set_config(...)` for the current context, or undefined when there is nothing to set. */
  private async settingsSql(): Promise<string | undefined> {
    if (!this.context.state()) return undefined;
    const actor = await this.context.actor();
    const settings: [string, string | undefined][] = [
      [ACTOR_SETTING, actor?.serialize()],
      [CORRELATION_SETTING, this.context.correlationId()],
      [REQUEST_SETTING, this.context.requestId()],
      [TRACE_SETTING, this.context.traceparent()],
    ];
    const calls = settings
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `set_config(${literal(name)}, ${literal(value!)}, true)`);
    return calls.length ? `SELECT ${calls.join(', ')}` : undefined;
  }
}
