import request from 'supertest';
import { TagNormalizerJob } from '../src/posts/tag-normalizer.job';
import { DemoApp, startDemoApp } from './demo-app';

describe('demo API (HTTP e2e, real PostgreSQL)', () => {
  let demo: DemoApp;
  beforeAll(async () => {
    demo = await startDemoApp();
  });
  afterAll(() => demo.close());
  const http = () => request(demo.app.getHttpServer());

  it('creates a user storing only a password hash, with email masked and the hash excluded from audit rows', async () => {
    const res = await http()
      .post('/api/users')
      .set('x-user-id', '1')
      .send({ name: 'Ann', email: 'ann@example.com', password: 'correct horse' })
      .expect(201);
    expect(res.body).toEqual({
      id: 1,
      name: 'Ann',
      email: 'ann@example.com',
      created_at: expect.any(String),
      audit_transaction_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const [user] = await demo.db.query<{ password_hash: string }>(`SELECT password_hash FROM users`);
    expect(user.password_hash).toMatch(/^scrypt\$/);
    expect(user.password_hash).not.toContain('correct horse');
    const changes = await demo.db.query<{ data_after: Record<string, unknown>; transaction_id: string }>(
      `SELECT data_after, transaction_id FROM audit_changes WHERE table_name = 'users'`,
    );
    expect(changes).toEqual([
      {
        data_after: { id: 1, name: 'Ann', email: '[REDACTED]', created_at: expect.any(String) },
        transaction_id: res.body.audit_transaction_id,
      },
    ]);
    const text = JSON.stringify(await demo.db.query(`SELECT * FROM audit_changes`));
    expect(text).not.toContain('ann@example.com');
    expect(text).not.toContain('scrypt$');
  });

  it('a write that fails logs no masked or excluded value (the ORM would print the query parameters)', async () => {
    const printed: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      }),
    );
    const spyConsole = (['log', 'error', 'warn', 'info'] as const).map((level) =>
      jest
        .spyOn(console, level)
        .mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' '))),
    );
    try {
      await http()
        .post('/api/users')
        .send({ name: 'Twin', email: 'twin@secret.example', password: 'correct horse one' })
        .expect(201);
      await http()
        .post('/api/users')
        .send({ name: 'Twin2', email: 'twin@secret.example', password: 'correct horse two' })
        .expect(409);
    } finally {
      for (const spy of [...spies, ...spyConsole]) spy.mockRestore();
    }
    expect(printed.join('\n')).not.toContain('twin@secret.example');
    expect(printed.join('\n')).not.toContain('scrypt$');
  });

  it('attributes create, update and delete of a post (and its composite-key tags) to the caller', async () => {
    const created = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .send({ title: 'Hello', body: 'World', tags: ['b', 'a'] })
      .expect(201);
    expect(created.body).toMatchObject({ title: 'Hello', body: 'World', tags: ['a', 'b'], author_id: 1 });
    const id = created.body.id;
    const updated = await http()
      .patch(`/api/posts/${id}`)
      .set('x-user-id', '1')
      .send({ title: 'Hello 2', tags: ['b', 'c'] })
      .expect(200);
    expect(updated.body).toMatchObject({ title: 'Hello 2', tags: ['b', 'c'] });
    const deleted = await http().delete(`/api/posts/${id}`).set('x-user-id', '1').expect(200);
    expect(deleted.body).toEqual({ id, deleted: true, audit_transaction_id: expect.any(String) });

    const rows = await demo.db.query<{
      tx: string;
      actor: unknown;
      op: string;
      table_name: string;
      table_pk: unknown;
      changed_fields: string[] | null;
    }>(
      `SELECT c.transaction_id AS tx, t.actor_ref AS actor, c.op, c.table_name, c.table_pk, c.changed_fields
       FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.table_name IN ('posts', 'post_tags') ORDER BY c.id`,
    );
    const actor = { type: 'user', id: '1' };
    expect(rows).toEqual([
      {
        tx: created.body.audit_transaction_id,
        actor,
        op: 'insert',
        table_name: 'posts',
        table_pk: { id },
        changed_fields: null,
      },
      {
        tx: created.body.audit_transaction_id,
        actor,
        op: 'insert',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'b' },
        changed_fields: null,
      },
      {
        tx: created.body.audit_transaction_id,
        actor,
        op: 'insert',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'a' },
        changed_fields: null,
      },
      {
        tx: updated.body.audit_transaction_id,
        actor,
        op: 'update',
        table_name: 'posts',
        table_pk: { id },
        changed_fields: ['title'],
      },
      {
        tx: updated.body.audit_transaction_id,
        actor,
        op: 'delete',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'a' },
        changed_fields: null,
      },
      {
        tx: updated.body.audit_transaction_id,
        actor,
        op: 'insert',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'c' },
        changed_fields: null,
      },
      {
        tx: deleted.body.audit_transaction_id,
        actor,
        op: 'delete',
        table_name: 'posts',
        table_pk: { id },
        changed_fields: null,
      },
      {
        tx: deleted.body.audit_transaction_id,
        actor,
        op: 'delete',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'b' },
        changed_fields: null,
      },
      {
        tx: deleted.body.audit_transaction_id,
        actor,
        op: 'delete',
        table_name: 'post_tags',
        table_pk: { post_id: id, tag: 'c' },
        changed_fields: null,
      },
    ]);
  });

  it('records a write without x-user-id as anonymous', async () => {
    const res = await http().post('/api/posts').send({ title: 'Anon', body: '.' }).expect(201);
    const [tx] = await demo.db.query(`SELECT actor_ref FROM audit_transactions WHERE id = $1`, [
      res.body.audit_transaction_id,
    ]);
    expect(tx).toEqual({ actor_ref: { type: 'anonymous' } });
  });

  it('rejects bad input with 400 naming the problem, and writes nothing', async () => {
    const before = await demo.db.query(`SELECT count(*)::int AS n FROM audit_changes`);
    const res = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .send({ title: '', body: 'x', extra: 1 })
      .expect(400);
    expect(res.body.message).toEqual(
      expect.arrayContaining(['property extra should not exist', 'title must be longer than or equal to 1 characters']),
    );
    await http().patch('/api/posts/999999').set('x-user-id', '1').send({ title: 'x' }).expect(404);
    // a header no actor can be made of: 400 naming the header and the rule, not a 500
    const long = await http().post('/api/posts').set('x-user-id', 'u'.repeat(300)).send({ title: 't', body: 'b' });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/^x-user-id: Invalid actor \(actor_id_too_long\)/);
    expect(await demo.db.query(`SELECT count(*)::int AS n FROM audit_changes`)).toEqual(before);
  });

  it('records nothing for a PATCH that changes nothing', async () => {
    const created = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .send({ title: 'Same', body: 'b' })
      .expect(201);
    const res = await http()
      .patch(`/api/posts/${created.body.id}`)
      .set('x-user-id', '1')
      .send({ title: 'Same' })
      .expect(200);
    // updated_at is in exceptColumns, so touching only it is not an audited change
    expect(res.body.audit_transaction_id).toBeNull();
  });

  it('links the post.created action to the transaction of the post, with the request correlation id', async () => {
    const res = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .set('x-correlation-id', 'demo-corr-1')
      .send({ title: 'Linked', body: 'b' })
      .expect(201);
    expect(res.headers['x-correlation-id']).toBe('demo-corr-1');
    const [row] = await demo.db.query(
      `SELECT a.name, a.actor_ref, a.verb, a.category, a.correlation_id, t.correlation_id AS tx_correlation
       FROM audit_transactions t JOIN audit_actions a ON a.id = t.action_id WHERE t.id = $1`,
      [res.body.audit_transaction_id],
    );
    expect(row).toEqual({
      name: 'post.created',
      actor_ref: { type: 'user', id: '1' },
      verb: 'create',
      category: 'content',
      correlation_id: 'demo-corr-1',
      tx_correlation: 'demo-corr-1',
    });
  });

  it('attributes the scheduled tag normalizer to system:tag-normalizer', async () => {
    const created = await http()
      .post('/api/posts')
      .set('x-user-id', '1')
      .send({ title: 'Tags', body: 'b', tags: ['News', 'ok'] })
      .expect(201);
    expect(await demo.app.get(TagNormalizerJob).normalizeTags()).toBe(1);
    const rows = await demo.db.query(
      `SELECT c.op, c.table_pk, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id
       WHERE c.table_name = 'post_tags' AND c.transaction_id <> $1 AND (c.table_pk->>'post_id')::int = $2 ORDER BY c.id`,
      [created.body.audit_transaction_id, created.body.id],
    );
    const system = { type: 'system', id: 'tag-normalizer' };
    expect(rows).toEqual([
      { op: 'insert', table_pk: { post_id: created.body.id, tag: 'news' }, actor_ref: system },
      { op: 'delete', table_pk: { post_id: created.body.id, tag: 'News' }, actor_ref: system },
    ]);
  });

  it('serves GET /health with the database ping and threadline_coverage, 503 when an expected table loses its trigger', async () => {
    const up = await http().get('/health').expect(200);
    expect(up.body.info).toMatchObject({
      database: { status: 'up' },
      threadline_coverage: {
        status: 'up',
        covered: 3,
        uncoveredExpected: [],
        expectedUncovered: ['public.migrations'],
        unclassified: [],
      },
    });
    await demo.db.query(`ALTER TABLE post_tags DISABLE TRIGGER threadline_audit_post_tags_delete`);
    try {
      const down = await http().get('/health').expect(503);
      expect(down.body.error.threadline_coverage).toMatchObject({
        status: 'down',
        uncoveredExpected: ['public.post_tags'],
      });
    } finally {
      await demo.db.query(`ALTER TABLE post_tags ENABLE TRIGGER threadline_audit_post_tags_delete`);
    }
    await http().get('/health').expect(200);
  });
});
