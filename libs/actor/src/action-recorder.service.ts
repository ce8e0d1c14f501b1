import { Injectable, Optional } from '@nestjs/common';
import { ACTION_NAME_MAX_LENGTH, RECORD_ACTION_FUNCTION } from '@threadline/capture';
import { ActionRecordedEvent, AuditTables, CONTEXT_ID_MAX_BYTES, threadlineEvents } from '@threadline/core';
import { DataSource, EntityManager } from 'typeorm';
import { ActorRef } from './actor-ref';
import { ThreadlineContext } from './threadline-context';
import { InvalidActionError, MissingActorError } from './actor.errors';

export interface RecordActionOptions {
  /** Defaults to the context's actor; required one way or the other. */
  actor?: ActorRef | { type: string; id?: string };
  /** @default 'ok' */
  status?: 'ok' | 'error';
  verb?: string;
  category?: string;
  reason?: string;
  comment?: string;
  /** Default: the context's correlation id. */
  correlationId?: string;
  /** Default: the context's request id. */
  requestId?: string;
  /** Default: the context's job id. */
  jobId?: string;
  /**
   * The transaction's EntityManager: the action is inserted in it, into the
   * same audit transaction as its audited writes (`audit_actions.transaction_id`,
   * and `audit_transactions.action_id` names the last action), whether those
   * writes came before or come after.
   */
  manager?: EntityManager;
}

export interface RecordedAction {
  id: string;
  /**
   * True when the action shares its audit transaction with audited writes (recorded through
   * `manager` inside a transaction, or after the transaction's first audited write). Either way the
   * action belongs to an audit transaction and is sealed with it.
   */
  linked: boolean;
}

/** Records semantic actions (`audit_actions`): the "why" beside the captured row changes. */
@Injectable()
export class ActionRecorder {
  private readonly insertSql: string;

  constructor(
    private readonly context: ThreadlineContext,
    private readonly dataSource: DataSource,
    @Optional() tables: AuditTables = AuditTables.DEFAULT,
  ) {
    // One call: the function inserts the action into this database transaction's audit row (created
    // now when there is none yet; later audited writes of the transaction join it). It runs with the
    // audit tables' owner's rights (the app's role needs EXECUTE on it, no write right on audit tables).
    this.insertSql = `SELECT r.id, r.linked FROM ${tables.named(RECORD_ACTION_FUNCTION)}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS r`;
  }

  /**
   * @example await actions.recordAction('post.published', { verb: 'publish', category: 'content', manager })
   * @throws MissingActorError when neither `options.actor` nor the context has an actor
   * @throws InvalidActorError when the actor is not valid (reason `unknown_actor_type` / `missing_actor_id`)
   */
  async recordAction(name: string, options: RecordActionOptions = {}): Promise<RecordedAction> {
    // the database's limit, counted as it counts (code points)
    if (typeof name !== 'string' || name.trim() === '' || [...name.trim()].length > ACTION_NAME_MAX_LENGTH) {
      throw InvalidActionError.badName(ACTION_NAME_MAX_LENGTH);
    }
    const status = options.status ?? 'ok';
    if (status !== 'ok' && status !== 'error') throw InvalidActionError.badStatus(status);
    const actor = options.actor !== undefined ? ActorRef.of(options.actor) : await this.context.actor();
    if (!actor) {
      throw MissingActorError.create();
    }
    const correlationId = options.correlationId ?? this.context.correlationId();
    for (const [label, value] of [
      ['correlationId', correlationId],
      ['requestId', options.requestId],
      ['jobId', options.jobId],
    ] as const) {
      if (
        value !== undefined &&
        (typeof value !== 'string' || value.trim() === '' || Buffer.byteLength(value) > CONTEXT_ID_MAX_BYTES)
      ) {
        throw InvalidActionError.badContextId(label, CONTEXT_ID_MAX_BYTES);
      }
    }
    const db = options.manager ?? this.dataSource.manager;
    const [row] = await db.query(this.insertSql, [
      name.trim(),
      actor.serialize(),
      status,
      options.verb ?? null,
      options.category ?? null,
      options.reason ?? null,
      options.comment ?? null,
      correlationId ?? null,
      options.requestId ?? this.context.requestId() ?? null,
      options.jobId ?? this.context.jobId() ?? null,
    ]);
    const linked = Boolean(options.manager?.queryRunner?.isTransactionActive) || row.linked > 0;
    if (threadlineEvents.actionRecorded.hasSubscribers) {
      const event: ActionRecordedEvent = { actionId: row.id, name: name.trim(), status, linkedTransaction: linked };
      threadlineEvents.actionRecorded.publish(event);
    }
    return { id: row.id, linked };
  }
}
