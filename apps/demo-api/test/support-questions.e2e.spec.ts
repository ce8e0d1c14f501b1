import {
  AuditQueryService,
  BaselineService,
  changeDiff,
  ExportService,
  PurgeSummary,
  RetentionService,
} from '@threadline/nestjs';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'fs';
import path from 'path';
import request from 'supertest';
import { Post } from '../src/posts/post.entity';
import { DemoApp, startDemoApp } from './demo-app';

/** The SQL block of question `n` in docs/domain-reference.md, run as the docs print it. */
function goldenSql(n: number): string {
  const doc = readFileSync(path.resolve(__dirname, '../../../docs/domain-reference.md'), 'utf8');
  const block = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]).find((sql) => sql.startsWith(`-- Q${n} `));
  if (!block) throw new Error(`docs/domain-reference.md has no SQL block starting "-- Q${n} "`);
  return block;
}

/**
 * Golden tests for the checklist's support questions, on the demo's real
 * HTTP writes: row history, actor window, correlation bundle, export parity,
 * action <-> capture, single-transaction drill-down.
 */
describe('support incident questions (golden, real PostgreSQL)', () => {
  let demo: DemoApp;
  let queries: AuditQueryService;
  const http = () => request(demo.app.getHttpServer());
  const auditor = (req: request.Test) => req.set('x-demo-role', 'auditor');
  let postId: number;
  const tx: Record<string, string> = {};

  beforeAll(async () => {
    demo = await startDemoApp();
    queries = demo.app.get(AuditQueryService);
    await http()
      .post('/api/users')
      .set('x-user-id', '1')
      .send({ name: 'Ann', email: 'ann@example.com', password: 'correct horse' })
      .expect(201);
    const created = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .set('x-correlation-id', 'incident-42')
      .send({ title: 'Hello', body: 'v1', tags: ['a'] })
      .expect(201);
    postId = created.body.id;
    tx.create = created.body.audit_transaction_id;
    tx.update = (
      await http()
        .patch(`/api/posts/${postId}`)
        .set('x-user-id', '2')
        .set('x-correlation-id', 'incident-42')
        .send({ body: 'v2' })
        .expect(200)
    ).body.audit_transaction_id;
    tx.other = (
      await http()
        .post('/api/posts')
        .set('x-user-id', '2')
        .set('x-correlation-id', 'unrelated')
        .send({ title: 'Other', body: 'x' })
        .expect(201)
    ).body.audit_transaction_id;
    tx.delete = (
      await http().delete(`/api/posts/${postId}`).set('x-user-id', '1').expect(200)
    ).body.audit_transaction_id;
  });
  afterAll(() => demo.close());

  it('Q1 row history: every change of one post, newest first, and the row as of a time', async () => {
    const history = await queries.history('posts', postId);
    expect(history.map((c) => [c.op, c.transaction_id])).toEqual([
      ['delete', tx.delete],
      ['update', tx.update],
      ['insert', tx.create],
    ]);
    const afterUpdate = history[1].captured_at;
    expect(await queries.asOf('posts', postId, afterUpdate)).toMatchObject({ id: postId, body: 'v2' });
    await expect(queries.asOf('posts', postId, history[0].captured_at)).rejects.toMatchObject({
      code: 'deleted_record',
    });
    await expect(queries.asOf('posts', postId, '2000-01-01T00:00:00Z')).rejects.toMatchObject({
      code: 'before_audit_horizon',
    });
    const asEntity = await queries.asOf(Post, postId, afterUpdate, { entity: true });
    expect(asEntity).toBeInstanceOf(Post);
    expect(asEntity).toMatchObject({ id: postId, title: 'Hello', body: 'v2', authorId: 1 });
    const tagHistory = await queries.history('post_tags', { post_id: postId, tag: 'a' });
    expect(tagHistory.map((c) => [c.op, c.transaction_id])).toEqual([
      ['delete', tx.delete],
      ['insert', tx.create],
    ]);
    await expect(queries.history('post_tags', postId)).rejects.toThrow(
      'public.post_tags has a composite primary key (post_id, tag); pass an object with each column',
    );
    const window = await queries.timeline({ table: 'posts', from: history[2].captured_at, to: history[1].captured_at });
    expect(window.changes.map((c) => c.op)).toEqual(['update', 'insert']);
    const golden = await demo.db.query(goldenSql(1), [
      'public',
      'posts',
      JSON.stringify({ id: postId }),
      '-infinity',
      'infinity',
    ]);
    expect(golden.map((r) => String(r.id))).toEqual(history.map((c) => c.id));
    const goldenWindow = await demo.db.query(goldenSql(1), [
      'public',
      'posts',
      JSON.stringify({ id: postId }),
      history[2].captured_at,
      history[1].captured_at,
    ]);
    expect(goldenWindow.map((r) => String(r.op))).toEqual(['update', 'insert']);
  });

  it('Q2 actor window: one actor across tables', async () => {
    const user2 = await queries.timeline({ actorRef: 'user:2' });
    expect(new Set(user2.changes.map((c) => c.transaction_id))).toEqual(new Set([tx.update, tx.other]));
    expect(user2.changes.every((c) => c.transaction.actor_ref?.id === '2')).toBe(true);
    const transactions = await queries.actorHistory({ type: 'user', id: '2' });
    expect(transactions.map((t) => t.id)).toEqual([tx.other, tx.update]);
    const golden = await demo.db.query(goldenSql(2), [
      JSON.stringify({ type: 'user', id: '2' }),
      '-infinity',
      'infinity',
    ]);
    expect(golden.map((r) => String(r.id))).toEqual(user2.changes.map((c) => c.id));
  });

  it('Q3 correlation bundle: only changes of transactions carrying that correlation id', async () => {
    const bundle = await queries.timeline({ correlationId: 'incident-42' });
    expect(new Set(bundle.changes.map((c) => c.transaction_id))).toEqual(new Set([tx.create, tx.update]));
    expect((await queries.timeline({ correlationId: 'nobody' })).changes).toEqual([]);
    const golden = await demo.db.query(goldenSql(3), ['incident-42']);
    expect(golden.map((r) => String(r.id))).toEqual(bundle.changes.map((c) => c.id));
    expect(await demo.db.query(goldenSql(3), ['nobody'])).toEqual([]);
  });

  it('Q4 export parity: the export of a filter equals the timeline of the same filter, row for row, in every format', async () => {
    const filters = { table: 'post_tags', actorRef: 'user:1' };
    const timeline = await queries.timeline(filters, { limit: 1000 });
    const ids = timeline.changes.map((c) => c.id);
    expect(ids.length).toBeGreaterThan(0);
    const exports = demo.app.get(ExportService);
    const json = JSON.parse((await exports.exportChanges(filters, { format: 'json' })).body);
    expect(json).toMatchObject({ format_version: 1, returned_count: ids.length, truncated: false });
    expect(json.changes).toEqual(timeline.changes);
    const ndjson = (await exports.exportChanges(filters, { format: 'ndjson' })).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ndjson).toEqual(timeline.changes);
    const csv: { id: string }[] = parse((await exports.exportChanges(filters, { format: 'csv' })).body, {
      columns: true,
    });
    expect(csv.map((r) => r.id)).toEqual(ids);
    const http1 = await auditor(
      http().get('/audit/export').query({ format: 'json', table: 'post_tags', actor: 'user:1' }),
    ).expect(200);
    expect(http1.body.changes).toEqual(timeline.changes);
    const golden = await demo.db.query(goldenSql(4), [
      'public',
      'post_tags',
      JSON.stringify({ type: 'user', id: '1' }),
    ]);
    expect(golden.map((r) => String(r.id))).toEqual(ids);
  });

  it('Q5 action <-> capture: the post.created action links to the changes it explains', async () => {
    const {
      changes: [create],
    } = await queries.changesForTransaction(tx.create);
    const [action] = await demo.db.query(`SELECT name, correlation_id FROM audit_actions WHERE id = $1`, [
      create.transaction.action_id,
    ]);
    expect(action).toEqual({ name: 'post.created', correlation_id: 'incident-42' });
    const golden = await demo.db.query(goldenSql(5), ['post.created', 'incident-42']);
    expect(golden.length).toBeGreaterThan(0);
    expect(new Set(golden.map((r) => String(r.transaction_id)))).toEqual(new Set([tx.create]));
    expect(golden.map((r) => String(r.table_name)).sort()).toEqual(
      (await queries.changesForTransaction(tx.create)).changes.map((c) => c.table_name).sort(),
    );
  });

  it('Q6 single-transaction drill-down: every change of the transaction with its diff', async () => {
    const res = await auditor(http().get(`/audit/transactions/${tx.update}/changes`)).expect(200);
    expect(res.body.transaction_id).toBe(tx.update);
    expect(res.body.actions).toEqual([]); // an edit records no action
    // the "why", as the transaction page shows it
    const created = await auditor(http().get(`/audit/transactions/${tx.create}/changes`)).expect(200);
    expect(created.body.actions).toMatchObject([{ name: 'post.created', verb: 'create', transaction_id: tx.create }]);
    const golden = await demo.db.query(goldenSql(6), [tx.update]);
    expect(golden.map((r) => String(r.id))).toEqual(res.body.changes.map((c: { id: string }) => c.id).reverse());
    expect(golden[0]).toMatchObject({ actor_ref: { type: 'user', id: '2' }, correlation_id: 'incident-42' });
    expect(res.body.changes.map((c: { diff: unknown }) => c.diff)).toEqual([
      {
        schema_version: 1,
        id: expect.any(String),
        op: 'update',
        table: 'public.posts',
        table_pk: { id: postId },
        previous_pk: null,
        // the same "before" as the transaction page: posts store no changed_from, so the previous image
        fields: { body: { before: 'v1', after: 'v2', before_from_previous_image: true } },
      },
    ]);
    // a delete shows the row as it was, as the page does, not an empty diff
    const deleted = await auditor(http().get(`/audit/transactions/${tx.delete}/changes`)).expect(200);
    const post = deleted.body.changes.find((c: { table_name: string }) => c.table_name === 'posts');
    expect(post.diff.op).toBe('delete');
    expect(post.diff.fields.body).toEqual({ before: 'v2', before_from_previous_image: true });
    const { changes } = await queries.changesForTransaction(tx.delete);
    const previous = await queries.previousImages(changes);
    expect(deleted.body.changes.map((c: { diff: unknown }) => c.diff)).toEqual(
      changes.map((c) => changeDiff(c, previous.get(c.id))),
    );
    expect(
      (await auditor(http().get('/audit/transactions/00000000-0000-0000-0000-000000000000/changes')).expect(200)).body
        .changes,
    ).toEqual([]);
    const bad = await auditor(http().get('/audit/transactions/not-a-uuid/changes')).expect(400);
    expect(bad.body.message).toBe('transaction id must be a UUID (got "not-a-uuid")');
  });

  it('brownfield: a row that existed before capture has no history, and asOf says before_audit_horizon', async () => {
    await demo.db.query(`ALTER TABLE posts DISABLE TRIGGER USER`);
    const [{ id }] = await demo.db.query<{ id: number }>(
      `INSERT INTO posts (title, body) VALUES ('legacy', 'before capture') RETURNING id`,
    );
    await demo.db.query(`ALTER TABLE posts ENABLE TRIGGER USER`);
    expect(await queries.history('posts', id)).toEqual([]);
    await expect(queries.asOf('posts', id, new Date())).rejects.toMatchObject({ code: 'before_audit_horizon' });
  });

  it('brownfield baseline: a snapshot gives a pre-capture row history from the baseline instant on, marked as a baseline; export, diff and retention handle it', async () => {
    await demo.db.query(`ALTER TABLE users DISABLE TRIGGER USER`);
    const [{ id }] = await demo.db.query<{ id: number }>(
      `INSERT INTO users (name, email, password_hash) VALUES ('Legacy', 'legacy@secret.example', 'scrypt$x') RETURNING id`,
    );
    await demo.db.query(`ALTER TABLE users ENABLE TRIGGER USER`);
    const beforeBaseline = new Date().toISOString();
    expect(await queries.history('users', id)).toEqual([]);

    const result = await demo.app.get(BaselineService).baseline('users', { execute: true });
    expect(result).toMatchObject({ status: 'complete', rowsWithoutHistory: 1, written: 1 });
    const [snapshot] = await queries.history('users', id);
    expect(snapshot).toMatchObject({
      op: 'snapshot',
      transaction_id: result.transactionId,
      transaction: {
        source: 'threadline:baseline',
        actor_ref: { type: 'system', id: 'threadline-baseline' },
        meta: { baseline: true, table: 'public.users' },
      },
      data_after: { id, name: 'Legacy', email: '[REDACTED]' },
    });
    expect(snapshot.data_after).not.toHaveProperty('password_hash');
    expect(await queries.asOf('users', id, new Date())).toMatchObject({ id, name: 'Legacy', email: '[REDACTED]' });
    await expect(queries.asOf('users', id, beforeBaseline)).rejects.toMatchObject({ code: 'before_audit_horizon' });
    expect(changeDiff(snapshot)).toMatchObject({
      op: 'snapshot',
      fields: { name: { after: 'Legacy' }, email: { after: '[REDACTED]' } },
    });

    // A later write is ordered after the snapshot.
    await demo.db.query(`UPDATE users SET name = 'Legacy 2' WHERE id = $1`, [id]);
    expect((await queries.history('users', id)).map((c) => c.op)).toEqual(['update', 'snapshot']);

    const ndjson = (await demo.app.get(ExportService).exportChanges({ table: 'users' }, { format: 'ndjson' })).body;
    expect(ndjson).toContain('"op":"snapshot"');
    const csv: { op: string }[] = parse(
      (await demo.app.get(ExportService).exportChanges({ table: 'users' }, { format: 'csv' })).body,
      { columns: true },
    );
    expect(csv.filter((r) => r.op === 'snapshot')).toHaveLength(1);
    const page = await auditor(http().get(`/audit/transactions/${result.transactionId}/changes`)).expect(200);
    expect(page.body.changes[0].diff).toMatchObject({ op: 'snapshot', fields: { name: { after: 'Legacy' } } });
    for (const text of [ndjson, JSON.stringify(csv), JSON.stringify(page.body)])
      expect(text).not.toContain('legacy@secret.example');

    // Retention purges a snapshot like any change once it is old enough, and its emptied baseline transaction.
    await demo.db.query(
      `UPDATE audit_changes SET captured_at = now() - interval '100 days' WHERE transaction_id = $1`,
      [result.transactionId],
    );
    await demo.db.query(`UPDATE audit_transactions SET occurred_at = now() - interval '100 days' WHERE id = $1`, [
      result.transactionId,
    ]);
    const purge = (await demo.app.get(RetentionService).purge()) as PurgeSummary;
    expect(purge.deletedChanges).toBeGreaterThanOrEqual(1);
    expect((await queries.history('users', id)).map((c) => c.op)).toEqual(['update']);
    expect(await demo.db.query(`SELECT id FROM audit_transactions WHERE id = $1`, [result.transactionId])).toEqual([]);
  });
});
