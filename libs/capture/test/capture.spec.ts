import { ACTOR_RULE } from '@threadline/core';
import { createCaptureHarness, CaptureHarness } from './capture-harness';

describe('trigger capture (real PostgreSQL)', () => {
  let h: CaptureHarness;

  beforeEach(async () => {
    h = await createCaptureHarness();
    await h.client.query(
      `CREATE TABLE posts (id serial PRIMARY KEY, title text NOT NULL, body text, meta json, updated_at timestamptz DEFAULT now())`,
    );
  });
  afterEach(() => h.close());

  it('captures insert, update and delete with op, key, image and changed fields', async () => {
    await h.capture(['posts']);
    await h.client.query(`INSERT INTO posts (title, body) VALUES ('a', 'x'), ('b', 'y')`);
    await h.client.query(`UPDATE posts SET title = 'a2' WHERE id = 1`);
    await h.client.query(`DELETE FROM posts WHERE id = 2`);
    const changes = await h.changes();
    expect(changes.map((c) => [c.op, c.table_pk])).toEqual([
      ['insert', { id: 1 }],
      ['insert', { id: 2 }],
      ['update', { id: 1 }],
      ['delete', { id: 2 }],
    ]);
    expect(changes[0].data_after).toMatchObject({ id: 1, title: 'a', body: 'x' });
    expect(changes[2].data_after).toMatchObject({ id: 1, title: 'a2', body: 'x' });
    expect(changes[2].changed_fields).toEqual(['title']);
    expect(changes[2].changed_from).toBeNull();
    expect(changes[3].data_after).toBeNull();
    expect(changes[3].changed_fields).toBeNull();
    expect(changes.every((c) => c.table_schema === 'public' && c.table_name === 'posts')).toBe(true);
  });

  it('records no change for a no-op UPDATE or one touching only exceptColumns, unless recordNoopUpdates', async () => {
    await h.capture(['posts'], { tables: { posts: { exceptColumns: ['updated_at'] } } });
    await h.client.query(`INSERT INTO posts (title) VALUES ('a')`);
    await h.client.query(`UPDATE posts SET title = title`);
    await h.client.query(`UPDATE posts SET updated_at = now() + interval '1 day'`);
    expect((await h.changes()).map((c) => c.op)).toEqual(['insert']);
    // a json column has no equality operator: compared as text
    await h.client.query(`UPDATE posts SET meta = '{"a":1}'`);
    const changes = await h.changes(`op = 'update'`);
    expect(changes).toHaveLength(1);
    expect(changes[0].changed_fields).toEqual(['meta']);

    await h.capture(['posts'], { recordNoopUpdates: true, tables: { posts: { exceptColumns: ['updated_at'] } } });
    await h.client.query(`UPDATE posts SET title = title`);
    const noop = await h.changes(`op = 'update' AND changed_fields = '{}'`);
    expect(noop).toHaveLength(1);
  });

  it('does not create a transaction row for a statement that changes nothing', async () => {
    await h.capture(['posts']);
    await h.client.query(`UPDATE posts SET title = 'x' WHERE false`);
    await h.client.query(`DELETE FROM posts`);
    const { rows } = await h.client.query(`SELECT count(*)::int AS n FROM audit_transactions`);
    expect(rows[0].n).toBe(0);
  });

  it('shares one audit_transactions row and its actor across statements of one transaction', async () => {
    await h.capture(['posts']);
    await h.client.query('BEGIN');
    await h.client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"42"}', true)`);
    await h.client.query(`INSERT INTO posts (title) VALUES ('a')`);
    await h.client.query(`UPDATE posts SET body = 'b'`);
    await h.client.query(`INSERT INTO posts (title) VALUES ('c')`);
    await h.client.query('COMMIT');
    await h.client.query(`INSERT INTO posts (title) VALUES ('outside')`);
    const { rows } = await h.client.query(
      `SELECT t.id, t.actor_ref, count(c.id)::int AS changes FROM audit_transactions t JOIN audit_changes c ON c.transaction_id = t.id GROUP BY t.id ORDER BY min(c.id)`,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ actor_ref: { type: 'user', id: '42' }, changes: 3 });
    expect(rows[1]).toMatchObject({ actor_ref: null, changes: 1 });
  });

  it("refuses a write under an actor set after the transaction's first audited write, instead of ignoring it", async () => {
    await h.capture(['posts']);
    for (const [first, later] of [
      [null, '{"type":"user","id":"7"}'],
      ['{"type":"user","id":"42"}', '{"type":"user","id":"7"}'],
      ['{"type":"user","id":"42"}', ''],
    ] as const) {
      await h.client.query('BEGIN');
      if (first) await h.client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [first]);
      await h.client.query(`INSERT INTO posts (title) VALUES ('first')`);
      await h.client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [later]);
      await expect(h.client.query(`UPDATE posts SET body = 'later'`)).rejects.toThrow(
        /the actor of this transaction changed after its first audited write \(from .* to .*\).*Set the actor at the start of the transaction/,
      );
      await h.client.query('ROLLBACK');
    }
    // the same actor set again is no change, in any JSON spelling; a new transaction takes the new actor
    await h.client.query('BEGIN');
    await h.client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"42"}', true)`);
    await h.client.query(`INSERT INTO posts (title) VALUES ('a')`);
    await h.client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"42"}', true)`);
    await h.client.query(`UPDATE posts SET body = 'b'`);
    await h.client.query(`SELECT set_config('threadline.actor_ref', '{ "id": 42, "type": "user" }', true)`);
    await h.client.query(`UPDATE posts SET body = 'c'`);
    await h.client.query('COMMIT');
    expect((await h.changes()).map((c) => c.op)).toEqual(['insert', 'update', 'update']);
  });

  it('leaves no orphan rows when a savepoint is rolled back', async () => {
    await h.capture(['posts']);
    await h.client.query('BEGIN');
    await h.client.query('SAVEPOINT s1');
    await h.client.query(`INSERT INTO posts (title) VALUES ('rolled back')`);
    await h.client.query('ROLLBACK TO SAVEPOINT s1');
    await h.client.query(`INSERT INTO posts (title) VALUES ('kept')`);
    await h.client.query('SAVEPOINT s2');
    await h.client.query(`UPDATE posts SET body = 'gone'`);
    await h.client.query('ROLLBACK TO SAVEPOINT s2');
    await h.client.query('COMMIT');
    const changes = await h.changes();
    expect(changes.map((c) => [c.op, c.data_after?.title])).toEqual([['insert', 'kept']]);
    const { rows } = await h.client.query(`SELECT id FROM audit_transactions`);
    expect(rows.map((r) => r.id)).toEqual([changes[0].transaction_id]);
  });

  it('rejects an actor setting that is not JSON instead of dropping the actor', async () => {
    await h.capture(['posts']);
    await h.client.query('BEGIN');
    await h.client.query(`SELECT set_config('threadline.actor_ref', 'user:42', true)`);
    await expect(h.client.query(`INSERT INTO posts (title) VALUES ('a')`)).rejects.toThrow(
      /threadline.actor_ref is not valid JSON/,
    );
    await h.client.query('ROLLBACK');
    expect(await h.changes()).toHaveLength(0);
  });

  it.each([
    ['{}'],
    ['null'],
    ['42'],
    ['[]'],
    ['"user:42"'],
    ['{"type":"superuser","id":"1"}'],
    ['{"type":"user"}'],
    ['{"type":"user","id":""}'],
    ['{"type":"user","id":"   "}'],
    ['{"type":"user","id":7.5}'],
    ['{"type":["user"],"id":"7"}'],
    [JSON.stringify({ type: 'user', id: 'x'.repeat(3200) })],
  ])('refuses the write for an actor of the wrong shape %s, naming the setting and the rule', async (actor) => {
    await h.capture(['posts']);
    await h.client.query('BEGIN');
    await h.client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [actor]);
    await expect(h.client.query(`INSERT INTO posts (title) VALUES ('a')`)).rejects.toThrow(
      new RegExp(
        `threadline: threadline.actor_ref is not a valid actor .*: ${ACTOR_RULE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
      ),
    );
    await h.client.query('ROLLBACK');
    expect(await h.changes()).toHaveLength(0);
  });

  it.each([
    ['{"type":"anonymous"}'],
    ['{"type":"user","id":"42"}'],
    [JSON.stringify({ type: 'job', id: 'x'.repeat(256) })],
  ])('accepts the actor %s', async (actor) => {
    await h.capture(['posts']);
    await h.client.query('BEGIN');
    await h.client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [actor]);
    await h.client.query(`INSERT INTO posts (title) VALUES ('a')`);
    await h.client.query('COMMIT');
    const { rows } = await h.client.query(`SELECT actor_ref FROM audit_transactions`);
    expect(rows).toEqual([{ actor_ref: JSON.parse(actor) }]);
  });

  it('captures writes made under session_replication_role = replica, unless captureInReplicaRole is false', async () => {
    const writes = async () => {
      await h.client.query(`SET session_replication_role = replica`);
      await h.client.query(`INSERT INTO posts (title) VALUES ('r1'), ('r2')`);
      await h.client.query(`UPDATE posts SET title = 'r1b' WHERE title = 'r1'`);
      await h.client.query(`DELETE FROM posts WHERE title = 'r2'`);
      await h.client.query(`RESET session_replication_role`);
    };
    await h.capture(['posts']);
    await writes();
    expect((await h.changes()).map((c) => c.op)).toEqual(['insert', 'insert', 'update', 'delete']);
    await h.client.query(`TRUNCATE audit_changes, audit_transactions, posts`);
    await h.capture(['posts'], { captureInReplicaRole: false });
    await writes();
    expect(await h.changes()).toEqual([]);
  });

  it('captures an UPDATE that changes primary keys, pairing each old key with its new one', async () => {
    await h.capture(['posts']);
    await h.client.query(`INSERT INTO posts (id, title) SELECT g, 't' || g FROM generate_series(1, 50) g`);
    await h.client.query(`UPDATE posts SET id = id + 1000, title = title || '!'`);
    const updates = await h.changes(`op = 'update'`);
    expect(updates).toHaveLength(50);
    for (const change of updates) {
      const oldId = Number(change.previous_pk!.id);
      expect(change.table_pk).toEqual({ id: oldId + 1000 });
      expect(change.data_after!.title).toBe(`t${oldId}!`);
      expect(change.changed_fields).toEqual(['id', 'title']);
    }
    const unchangedKey = await h.client.query(`UPDATE posts SET title = 'z' WHERE id = 1001`);
    expect(unchangedKey.rowCount).toBe(1);
    expect((await h.changes(`op = 'update' AND data_after->>'title' = 'z'`))[0].previous_pk).toBeNull();
  });

  it('keeps set-based pairing after a one-row UPDATE was planned first in the same session', async () => {
    // Guards against a cached nested-loop plan (quadratic): with it this takes minutes.
    await h.capture(['posts']);
    await h.client.query(`INSERT INTO posts (title) SELECT 't' || g FROM generate_series(1, 30000) g`);
    await h.client.query(`UPDATE posts SET body = 'one' WHERE id = 1`);
    await h.client.query(`SET statement_timeout = '30s'`);
    await h.client.query(`UPDATE posts SET body = 'all'`);
    expect((await h.client.query(`SELECT count(*)::int AS n FROM audit_changes WHERE op = 'update'`)).rows[0].n).toBe(
      30001,
    );
  });

  it('accepts only the five ops in audit_changes.op, and op still compares as text', async () => {
    await h.capture(['posts']);
    await h.client.query(`INSERT INTO posts (title) VALUES ('a')`);
    const txId = (await h.client.query(`SELECT transaction_id FROM audit_changes LIMIT 1`)).rows[0].transaction_id;
    await expect(
      h.client.query(
        `INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk) VALUES ($1, 'public', 'posts', 'drop', '{"id": 1}')`,
        [txId],
      ),
    ).rejects.toMatchObject({ code: '23514', message: expect.stringContaining('audit_change_op') });
    expect(
      (await h.client.query(`SELECT count(*)::int AS n FROM audit_changes WHERE op = $1::text`, ['insert'])).rows[0].n,
    ).toBe(1);
  });
});
