import { Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { ACTOR_SETTING, CORRELATION_SETTING, REQUEST_SETTING } from '@threadline/capture';
import {
  AuditTables,
  CACHED_TRANSACTION_SQL,
  cachedTransactionIdSql,
  literal,
  threadlineEvents,
  transactionCacheMatchesSql,
  TransactionCommittedEvent,
  UnattributedWriteEvent,
} from '@threadline/core';
import { DataSource, QueryRunner } from 'typeorm';
import { ThreadlineContext } from './threadline-context';

const INSTRUMENTED = Symbol('threadline.instrumented');
const ISOLATION_LEVELS = ['READ UNCOMMITTED', 'READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE'];
const WRITE = /^\s*(INSERT|UPDATE|DELETE|MERGE)\b/i;

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
 * statement. Writes outside any transaction cannot carry them; those are
 * counted, warned about once, and published as an event.
 */
@Injectable()
export class TransactionScope implements OnModuleInit {
  private readonly logger = new Logger(TransactionScope.name);
  private unattributed = 0;
  private readonly committedSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly context: ThreadlineContext,
    @Optional() tables: AuditTables = AuditTables.DEFAULT,
  ) {
    const [cached, xid] = [CACHED_TRANSACTION_SQL, 'txid_current_if_assigned()'];
    this.committedSql = `SELECT x.id AS "auditTransactionId",
  (SELECT count(DISTINCT (c.table_schema, c.table_name))::int FROM ${tables.changes} AS c WHERE c.transaction_id = x.id) AS "tableCount"
FROM (SELECT CASE WHEN ${transactionCacheMatchesSql(cached, xid)}
             THEN ${cachedTransactionIdSql(cached, xid)} END AS id) AS x`;
  }

  onModuleInit(): void {
    const ds = this.dataSource as InstrumentedDataSource;
    if (ds[INSTRUMENTED]) return;
    ds[INSTRUMENTED] = true;
    const create = ds.createQueryRunner.bind(ds);
    ds.createQueryRunner = (mode) => this.instrument(create(mode));
  }

  /** Writes this process made inside a context but outside any transaction (so without an actor). */
  unattributedWrites(): number {
    return this.unattributed;
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
      const [committed] = listening ? ((await query(this.committedSql)) as TransactionCommittedEvent[]) : [];
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
      if (!runner.isTransactionActive && WRITE.test(sql) && this.context.state()) this.noteUnattributed(sql);
      return query(sql, parameters, structured);
    }) as QueryRunner['query'];

    return runner;
  }

  /** `SELECT set_config(...)` for the current context, or undefined when there is nothing to set. */
  private async settingsSql(): Promise<string | undefined> {
    if (!this.context.state()) return undefined;
    const actor = await this.context.actor();
    const settings: [string, string | undefined][] = [
      [ACTOR_SETTING, actor?.serialize()],
      [CORRELATION_SETTING, this.context.correlationId()],
      [REQUEST_SETTING, this.context.requestId()],
    ];
    const calls = settings
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `set_config(${literal(name)}, ${literal(value!)}, true)`);
    return calls.length ? `SELECT ${calls.join(', ')}` : undefined;
  }

  private noteUnattributed(sql: string): void {
    this.unattributed++;
    const event: UnattributedWriteEvent = {
      statement: sql.trim().split(/\s+/).slice(0, 3).join(' '),
      count: this.unattributed,
    };
    if (this.unattributed === 1) {
      this.logger.warn(
        `A write ran outside any transaction ("${event.statement} ..."), so its audit rows carry no actor. ` +
          'Run audited writes in a transaction (repository.save does; manager.update/insert/delete and raw queries do not): ' +
          'dataSource.transaction(...) or ThreadlineContext.transaction(...). Counted in TransactionScope.unattributedWrites(); warned once.',
      );
    }
    if (threadlineEvents.unattributedWrite.hasSubscribers) threadlineEvents.unattributedWrite.publish(event);
  }
}
