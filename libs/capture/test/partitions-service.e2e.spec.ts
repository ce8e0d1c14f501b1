import { AuditTables } from '@threadline/core';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { DataSource } from 'typeorm';
import { auditSchemaSql, PartitionsService, resolveCaptureOptions } from '../src';
import { partitionStatusText } from '../src/capture.messages';

const partitioning = { interval: 'month', ahead: 3 } as const;

/**
 * PartitionsService as the app and `partitions` run it, on a connection whose role settings are hostile or merely
 * unlucky (a default isolation of serializable, a short statement_timeout), and `status` saying exactly what is
 * stored when partitions were changed by hand.
 */
describe('partition maintenance and status through PartitionsService (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let service: PartitionsService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public', { partitioning }).up);
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      extra: { options: '-c default_transaction_isolation=serializable -c statement_timeout=300' },
    });
    await ds.initialize();
    service = new PartitionsService(ds, AuditTables.DEFAULT, resolveCaptureOptions({ partitioning }));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('maintains at READ COMMITTED and without the session statement_timeout, however long the move', async () => {
    // 100,000 transactions and changes from an outage that went to the default partitions: a move of seconds
    await db.query(`INSERT INTO audit_transactions (id, txid, occurred_at)
      SELECT md5(g::text)::uuid, g, '2031-05-01T00:00:00Z'::timestamptz + g * interval '1 second' FROM generate_series(1, 100000) g`);
    await db.query(`INSERT INTO audit_changes (transaction_id, table_schema, table_name, op, table_pk, transaction_occurred_at)
      SELECT md5(g::text)::uuid, 'public', 'items', 'insert', jsonb_build_object('id', g), '2031-05-01T00:00:00Z'::timestamptz + g * interval '1 second'
      FROM generate_series(1, 100000) g`);
    // the session's own settings would refuse it (serializable) or stop it (300 ms)
    await expect(ds.query(`SELECT threadline_partitions_maintain()`)).rejects.toThrow(
      /runs at READ COMMITTED, not serializable/,
    );
    const before = await service.status();
    expect(before.tables.map((t) => [t.defaultRows, t.defaultRowsCapped])).toEqual([
      [10000, true],
      [10000, true],
    ]);
    expect(partitionStatusText(before)).toContain('10000 or more row(s) in the default partition');
    const result = await service.maintain();
    expect(result.created).toBe(2); // May 2031, both tables
    expect(result.status.tables.map((t) => t.defaultRows)).toEqual([0, 0]);
    expect(result.status.problems).toEqual([]);
  });

  it('says exactly what is stored: a missing default partition, a gap, a sliver of a partition', async () => {
    const status = async () => service.status();
    const ahead = (await status()).tables.map((t) => [t.intervalsAhead, t.hasDefault]);
    expect(ahead).toEqual([
      [3, true],
      [3, true],
    ]);
    // the default partition of audit_changes detached: a write past the last partition would fail
    await db.query(`ALTER TABLE audit_changes DETACH PARTITION audit_changes_default`);
    expect((await status()).problems).toContainEqual(
      expect.stringMatching(/^audit_changes has no default partition: a write past its last partition fails/),
    );
    await db.query(`ALTER TABLE audit_changes ATTACH PARTITION audit_changes_default DEFAULT`);
    // the partitions after the next one swapped for two one-second slivers: they are not intervals ahead, and the
    // coverage ends where the slivers do, not at the last partition further on
    const [next, ...later] = await db.query<{ name: string; from_at: Date; to_at: Date }>(
      `SELECT partition_name AS name, from_at, to_at FROM threadline_partitions()
       WHERE table_name = 'audit_changes' AND NOT is_default AND from_at > now() ORDER BY from_at`,
    );
    await db.query(`DROP TABLE ${later[0].name}`);
    const edge = next.to_at.toISOString();
    await db.query(
      `CREATE TABLE audit_changes_sliver1 (LIKE audit_changes); CREATE TABLE audit_changes_sliver2 (LIKE audit_changes)`,
    );
    await db.query(
      `ALTER TABLE audit_changes ATTACH PARTITION audit_changes_sliver1 FOR VALUES FROM ('${edge}') TO ('${new Date(next.to_at.getTime() + 1000).toISOString()}')`,
    );
    await db.query(
      `ALTER TABLE audit_changes ATTACH PARTITION audit_changes_sliver2 FOR VALUES FROM ('${new Date(next.to_at.getTime() + 1000).toISOString()}') TO ('${new Date(next.to_at.getTime() + 2000).toISOString()}')`,
    );
    const changes = (await status()).tables.find((t) => t.table === 'audit_changes')!;
    expect(changes.intervalsAhead).toBe(1);
    expect(changes.coveredUntil).toBe(
      new Date(next.to_at.getTime() + 2000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
    );
    expect((await status()).problems).toContainEqual(
      expect.stringMatching(/^audit_changes has 1 partition\(s\) after the current one \(at least 2 needed/),
    );
  });

  it('on an unpartitioned v12 schema asks nothing a role granted as before v12 may not run', async () => {
    const plain = await createTestDatabase();
    const role = `old_${Math.random().toString(36).slice(2, 8)}`;
    await plain.query(auditSchemaSql('public').up);
    await plain.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT USAGE ON SCHEMA public TO ${role}`);
    await plain.query(`GRANT SELECT ON audit_changes, audit_transactions, audit_partitioning TO ${role}`);
    const url = new URL(plain.url);
    url.username = role;
    url.password = 'pw';
    const asRole = new DataSource({ type: 'postgres', url: url.toString() });
    await asRole.initialize();
    try {
      const status = await new PartitionsService(asRole, AuditTables.DEFAULT, resolveCaptureOptions({})).status();
      // before: "permission denied for function threadline_partitions", and health down
      expect(status).toMatchObject({ partitioned: false, problems: [] });
    } finally {
      await asRole.destroy();
      await plain.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await plain.drop();
    }
  });
});
