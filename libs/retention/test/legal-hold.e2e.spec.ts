import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { auditSchemaSql, ThreadlineCaptureModule } from '@threadline/capture';
import { InvalidFilterError } from '@threadline/query';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import {
  InvalidLegalHoldError,
  LegalHoldService,
  LegalHoldUnreadableError,
  PurgeSummary,
  RetentionService,
  ThreadlineRetentionModule,
} from '../src';
import { holdListed } from '../src/retention.messages';

/** Legal holds: what they cover no purge deletes, a dry run says what each kept, a release lets the next run go on. */
describe('legal holds (real PostgreSQL)', () => {
  let db: TestDatabase;
  let close: () => Promise<void>;
  let retention: RetentionService;
  let holds: LegalHoldService;

  beforeEach(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    await db.query(`CREATE TABLE items (id int PRIMARY KEY); CREATE TABLE notes (id int PRIMARY KEY)`);
    await boot();
  });
  async function boot() {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
        ThreadlineCaptureModule.forRoot({}),
        ThreadlineRetentionModule.forRoot({ keepDays: 30, enabled: true }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    close = () => app.close();
    retention = app.get(RetentionService);
    holds = app.get(LegalHoldService);
  }
  afterEach(async () => {
    await close();
    await db.drop();
  });

  /** One audit transaction of one change of `table` row `id`, by user `actor`, captured `daysAgo` days ago. */
  async function seed(table: string, id: number, actor: string, daysAgo: number, correlation?: string) {
    await db.query(
      `WITH t AS (INSERT INTO audit_transactions (txid, occurred_at, actor_ref, correlation_id)
                  VALUES (1, now() - make_interval(days => $3), jsonb_build_object('type', 'user', 'id', $4::text), $5)
                  RETURNING id, occurred_at)
       INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, data_after, captured_at)
       SELECT t.id, 'public', $1, 'insert', jsonb_build_object('id', $2::int), '{}', t.occurred_at FROM t`,
      [table, id, daysAgo, actor, correlation ?? null],
    );
  }
  const left = async () =>
    (
      await db.query<{ k: string }>(`SELECT table_name || ':' || (table_pk->>'id') AS k FROM audit_changes ORDER BY id`)
    ).map((r) => r.k);
  const ago = async (days: number) =>
    (await db.query<{ at: string }>(`SELECT (now() - make_interval(days => $1))::text AS at`, [days]))[0].at;

  it('keeps what each hold covers (table, record key, actor, correlation, time range), says so in the dry run, and lets go on release', async () => {
    await seed('items', 1, '1', 40);
    await seed('items', 2, '2', 40);
    await seed('items', 3, '3', 40, 'case-7');
    await seed('notes', 4, '4', 40);
    await seed('items', 5, '5', 50);
    await seed('items', 6, '6', 40);
    await seed('items', 7, '2', 1);
    const by = { reason: 'litigation 2026-114', heldBy: 'legal@example.com' };
    const key = await holds.hold({ filters: { table: 'items', key: '{"id": 1}' }, ...by });
    const actor = await holds.hold({ filters: { actorRef: 'user:2' }, ...by });
    await holds.hold({ filters: { correlationId: 'case-7' }, ...by });
    await holds.hold({ filters: { table: 'public.notes' }, ...by });
    await holds.hold({ filters: { from: await ago(51), to: await ago(49) }, ...by });
    expect(key).toMatchObject({ id: '1', filters: { table: 'public.items', key: '{"id":1}' }, heldBy: by.heldBy });
    expect(key.released).toBeUndefined();

    const dry = (await retention.purge({ dryRun: true })) as PurgeSummary;
    expect(dry).toMatchObject({ deletedChanges: 1, deletedTransactions: 1 });
    expect(dry.holds.map((h) => [h.id, h.keptChanges])).toEqual([
      ['1', 1],
      ['2', 1],
      ['3', 1],
      ['4', 1],
      ['5', 1],
    ]);
    const run = (await retention.purge()) as PurgeSummary;
    expect(run).toMatchObject({ deletedChanges: 1, deletedTransactions: 1 });
    expect(run.holds).toHaveLength(5);
    expect(await left()).toEqual(['items:1', 'items:2', 'items:3', 'notes:4', 'items:5', 'items:7']);

    const released = await holds.release(actor.id, { reason: 'case settled', releasedBy: 'legal@example.com' });
    expect(released.released).toMatchObject({ by: 'legal@example.com', reason: 'case settled' });
    expect((await holds.list()).map((h) => h.id)).toEqual(['1', '3', '4', '5']);
    expect((await holds.list({ all: true })).map((h) => h.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(await retention.purge()).toMatchObject({ deletedChanges: 1 });
    expect(await left()).toEqual(['items:1', 'items:3', 'notes:4', 'items:5', 'items:7']);
  });

  it('refuses bad holds and releases, naming what is wrong and what is allowed, and stores nothing', async () => {
    const by = { reason: 'r', heldBy: 'b' };
    await expect(holds.hold({ filters: {}, ...by })).rejects.toThrow(
      /a legal hold needs at least one filter \(table, actorRef, from, to, correlationId, op, key, transactionId, traceId; on the command line --table, --actor,/,
    );
    await expect(holds.hold({ filters: { nope: 1 } as never, ...by })).rejects.toThrow(InvalidFilterError);
    await expect(holds.hold({ filters: { table: 'items' }, reason: '  ', heldBy: 'b' })).rejects.toThrow(
      /reason \(--reason\) must be non-blank text of at most 10000 characters/,
    );
    await expect(holds.hold({ filters: { table: 'items' }, reason: 'a\0b', heldBy: 'b' })).rejects.toThrow(
      InvalidLegalHoldError,
    );
    await expect(holds.hold({ filters: { table: 'items' }, reason: 'r', heldBy: 'x'.repeat(201) })).rejects.toThrow(
      /heldBy \(--by\) must be non-blank text of at most 200 characters, on one line without control characters \(201 characters\)/,
    );
    await expect(holds.hold({ filters: { table: 'items' }, reason: 'r' } as never)).rejects.toThrow(
      "a legal hold's heldBy is required (--by on the command line)",
    );
    // one line, no control characters: a listing on a terminal shows what was stored and nothing else
    for (const [reason, heldBy] of [
      ['a\nhold 99 (released): table=public.posts', 'b'],
      ['r', 't\u001b[31mRED'],
      ['x\rOVERWRITE', 'b'],
      ['r', 'b\u0085'],
    ])
      await expect(holds.hold({ filters: { table: 'items' }, reason, heldBy })).rejects.toThrow(
        /on one line without control characters/,
      );
    // a time without its zone would be read in each purge's session time zone; a bare date has none either
    for (const filters of [{ from: '2025-01-01 00:00:05' }, { to: '2025-01-01T00:00' }, { to: '2026-03-31' }])
      await expect(holds.hold({ filters, ...by })).rejects.toThrow(
        /must name its time zone, such as 2026-03-31T23:59:59.999999Z/,
      );
    expect(await holds.hold({ filters: { from: '2025-01-01T00:00:05+05:30' }, ...by })).toMatchObject({
      filters: { from: '2025-01-01T00:00:05+05:30' },
    });
    await db.query(`TRUNCATE audit_legal_holds RESTART IDENTITY`);
    for (const id of ['abc', '0', '1; DROP TABLE items', '99999999999999999999'])
      await expect(holds.release(id, { reason: 'r', releasedBy: 'b' })).rejects.toThrow(/is a positive integer/);
    await expect(holds.release('7', { reason: 'r', releasedBy: 'b' })).rejects.toThrow(/there is no legal hold 7/);
    expect(await holds.list({ all: true })).toEqual([]);
    const hold = await holds.hold({ filters: { table: 'items' }, ...by });
    await expect(holds.release(hold.id, { reason: '', releasedBy: 'b' })).rejects.toThrow(/reason/);
    await holds.release(hold.id, { reason: 'done', releasedBy: 'b' });
    await expect(holds.release(hold.id, { reason: 'again', releasedBy: 'c' })).rejects.toThrow(
      /legal hold 1 was already released at .* by b/,
    );
    expect((await holds.list({ all: true }))[0].released).toMatchObject({ by: 'b', reason: 'done' });
  });

  it('refuses to purge, deleting nothing, while a stored hold cannot be read as filters', async () => {
    await seed('items', 1, '1', 40);
    await seed('notes', 2, '2', 40);
    await holds.hold({ filters: { table: 'notes' }, reason: 'r', heldBy: 'b' });
    // the table refuses a hold that is no object, or covers nothing
    for (const filters of [`'[1]'`, `'{}'`])
      await expect(db.query(`UPDATE audit_legal_holds SET filters = ${filters}`)).rejects.toThrow(/check constraint/);
    for (const filters of [
      `'{"actor": "nobody"}'`,
      `'{"table": 5}'`,
      `'{"nope": "x"}'`,
      `'{"from": "2026-13-01"}'`,
      // hand edits the timeline would read, but not as `retention hold` stores them: the meaning is a guess
      `'{"table": "notes", "extra": "1"}'`,
      `'{"table": "notes", "key": {"id": 2}}'`,
      `'{"table": "notes", "op": ["insert"]}'`,
      `'{"table": "notes", "from": "2025-01-01 00:00:05"}'`,
      // read the same by the timeline, but not in the form `retention hold` writes
      `'{"table": "notes"}'`,
      `'{"table": "public.notes", "op": "insert,insert"}'`,
      `'{"correlationId": " x "}'`,
    ]) {
      await db.query(`UPDATE audit_legal_holds SET filters = ${filters}`);
      await expect(retention.purge()).rejects.toThrow(LegalHoldUnreadableError);
      await expect(retention.purge({ dryRun: true })).rejects.toThrow(
        /retention purge refused: legal hold 1 in audit_legal_holds cannot be read as timeline filters/,
      );
      expect(await left()).toEqual(['items:1', 'notes:2']);
    }
    // released, it no longer counts
    await db.query(
      `UPDATE audit_legal_holds SET released_at = now(), released_by = 'b', released_by_role = 'x', release_reason = 'r'`,
    );
    expect(await retention.purge()).toMatchObject({ deletedChanges: 2 });
  });

  it.each(['read committed', 'repeatable read'])(
    'a hold set while a purge batch is under way waits for it, then covers every later batch: nothing it covered when it returned is deleted (default_transaction_isolation %s)',
    async (isolation) => {
      await db.query(
        `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET default_transaction_isolation = '${isolation}'`,
      );
      await close();
      await boot();
      for (let i = 1; i <= 20; i++) await seed('notes', i, String(i), 40);
      const covered = `SELECT count(*)::int AS n FROM audit_changes WHERE table_name = 'notes'`;
      // Hold the first batch in its transaction: it has deleted its 5 changes and waits to delete their transactions.
      const blocker = new Client({ connectionString: db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query(`SELECT id FROM audit_transactions ORDER BY occurred_at, id LIMIT 1 FOR UPDATE`);
      const purged = retention.purge({ batchSize: 5 });
      for (;;) {
        const [{ n }] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM %audit_transactions%'`,
        );
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      let atReturn: number | undefined;
      const setting = holds.hold({ filters: { table: 'notes' }, reason: 'r', heldBy: 'b' }).then(async (hold) => {
        atReturn = (await db.query<{ n: number }>(covered))[0].n;
        return hold;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(atReturn).toBeUndefined(); // the hold waits for the batch under way
      await blocker.query('COMMIT');
      await blocker.end();
      const summary = (await purged) as PurgeSummary;
      await setting;
      // the batch under way deleted its 5; once the hold was set, no batch deleted another
      expect(atReturn).toBe(15);
      expect((await db.query<{ n: number }>(covered))[0].n).toBe(15);
      expect(summary.deletedChanges).toBe(5);
      // the summary names the hold set during the run: batches after it applied it
      expect(summary.holds.map((h) => h.id)).toEqual([(await setting).id]);
    },
  );

  it.each(['read committed', 'repeatable read'])(
    'a hold that commits while a batch waits for the holds lock is applied by that batch (default_transaction_isolation %s)',
    async (isolation) => {
      await db.query(
        `ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET default_transaction_isolation = '${isolation}'`,
      );
      await close();
      await boot();
      for (let i = 1; i <= 5; i++) await seed('notes', i, String(i), 40);
      // a hold being set: its INSERT holds the table until it commits, so the batch waits at its lock
      const setter = new Client({ connectionString: db.url });
      await setter.connect();
      await setter.query('BEGIN');
      await setter.query(
        `INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"public.notes"}', 'r', 'b')`,
      );
      const purged = retention.purge();
      for (;;) {
        const [{ n }] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE %audit_legal_holds%'`,
        );
        if (n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await setter.query('COMMIT');
      await setter.end();
      expect(await purged).toMatchObject({ deletedChanges: 0 });
      expect(await left()).toEqual(['notes:1', 'notes:2', 'notes:3', 'notes:4', 'notes:5']);
    },
  );

  it('prints a hand-edited hold with control characters as escapes, never raw to a terminal', async () => {
    await db.query(
      `INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"public.notes"}', E'a\\nhold 99 (released)', E'b\\u001b[31m')`,
    );
    const [hold] = await holds.list();
    expect(hold.reason).toBe('a\nhold 99 (released)'); // as stored
    expect(holdListed(hold)).toMatch(
      /^hold 1 \(in force\): table=public\.notes\n  set \S+ by b\\u001b\[31m: a\\u000ahold 99 \(released\)$/,
    );
  });
});
