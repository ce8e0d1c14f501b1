import { createCaptureHarness, CaptureHarness } from './capture-harness';

// A one-row UPDATE is paired without numbering and joining its rows (stamp version 5, schema v10),
// a cheaper path than the multi-row one. Both must store exactly the same audit rows: the same
// updates are run one row at a time on one table and in one statement on an identical other.
const COLUMNS = `id int, region text, name text, secret text, internal text, amount numeric, PRIMARY KEY (id, region)`;
const SEED = `VALUES (1, 'eu', 'Ann', 's1', 'i1', 1.0), (2, 'eu', 'Bob', 's2', 'i2', 2), (3, 'eu', 'Cy', 's3', 'i3', 3),
  (4, 'eu', 'Di', 's4', 'i4', 4), (5, 'eu', 'Ed', 's5', 'i5', 5), (6, 'eu', 'Flo', 's6', 'i6', 6)`;
// Each case, as SET and the row it applies to: a key change, a masked column, an excluded column
// alone, the numeric scale alone (1.0 to 1.00), nothing at all, and an ordinary change.
const CASES: Array<[string, number]> = [
  [`secret = 'new-secret'`, 2],
  [`internal = 'excluded-value'`, 3],
  [`amount = 1.00`, 1],
  [`name = name`, 5],
  [`name = 'Renamed', amount = amount + 1`, 6],
  [`id = id + 100`, 1],
  [`id = id + 100`, 4],
];

const stored = (h: CaptureHarness, table: string) =>
  h.client
    .query(
      `SELECT op, table_pk, previous_pk, data_after, changed_fields, changed_from FROM audit_changes
       WHERE table_name = $1 AND op = 'update' ORDER BY table_pk->>'id'`,
      [table],
    )
    .then((r) => r.rows);

describe.each([
  ['with changed_from', true],
  ['without changed_from', false],
])('a one-row UPDATE stores what the multi-row pairing stores (%s)', (_name, storeChangedFrom) => {
  let h: CaptureHarness;
  beforeAll(async () => {
    h = await createCaptureHarness();
    await h.client.query(`CREATE TABLE single (${COLUMNS}); CREATE TABLE multi (${COLUMNS});
      INSERT INTO single ${SEED}; INSERT INTO multi ${SEED}`);
    const settings = { mask: ['secret'], exclude: ['internal'], storeChangedFrom };
    await h.capture(['single', 'multi'], { tables: { single: settings, multi: settings } });
  });
  afterAll(() => h.close());

  it('for a key change, masked, excluded and scale-only changes, and a no-op', async () => {
    const source = await h.client.query(
      `SELECT DISTINCT pg_get_functiondef(t.tgfoid) AS d FROM pg_trigger t WHERE t.tgrelid = 'single'::regclass AND NOT t.tgisinternal`,
    );
    expect(source.rows).toHaveLength(1);
    expect(source.rows[0].d).toContain(`TG_OP = 'UPDATE' AND threadline_rows = 1`);
    for (const [set, id] of CASES) {
      const single = await h.client.query(`UPDATE single SET ${set} WHERE id = $1`, [id]);
      expect(single.rowCount).toBe(1);
    }
    // the same changes in two statements of several rows each (the key changes last)
    await h.client.query(`UPDATE multi SET
      secret = CASE WHEN id = 2 THEN 'new-secret' ELSE secret END,
      internal = CASE WHEN id = 3 THEN 'excluded-value' ELSE internal END,
      amount = CASE WHEN id = 1 THEN 1.00 WHEN id = 6 THEN amount + 1 ELSE amount END,
      name = CASE WHEN id = 6 THEN 'Renamed' ELSE name END
      WHERE id IN (1, 2, 3, 5, 6)`);
    await h.client.query(`UPDATE multi SET id = id + 100 WHERE id IN (1, 4)`);
    const [single, multi] = [await stored(h, 'single'), await stored(h, 'multi')];
    const key = (row: { table_pk: { id: number }; previous_pk: unknown; changed_fields: string[] }) =>
      JSON.stringify([row.table_pk, row.previous_pk, row.changed_fields]);
    expect(single.map(key).sort()).toEqual(multi.map(key).sort());
    expect([...single].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      [...multi].sort((a, b) => key(a).localeCompare(key(b))),
    );
    // what the cases must have stored, whichever way they were paired
    const byId = (id: number, previous?: number) =>
      single.filter((r) => r.table_pk.id === id && (previous === undefined || r.previous_pk?.id === previous));
    expect(byId(101, 1)[0]).toMatchObject({ previous_pk: { id: 1, region: 'eu' }, changed_fields: ['id'] });
    expect(byId(2)[0]).toMatchObject({ changed_fields: ['secret'], data_after: { secret: '[REDACTED]' } });
    expect(JSON.stringify(single)).not.toContain('new-secret');
    expect(JSON.stringify(single)).not.toContain('excluded-value');
    expect(byId(3)).toEqual([expect.objectContaining({ changed_fields: [] })]); // excluded alone: a change, no field
    expect(byId(5)).toEqual([]); // no-op: nothing recorded
    expect(byId(6)[0]).toMatchObject({ changed_fields: ['name', 'amount'] });
    if (storeChangedFrom) expect(byId(6)[0].changed_from).toEqual({ name: 'Flo', amount: 6 });
    else expect(byId(6)[0].changed_from).toBeNull();
  });

  it('refuses a one-row UPDATE whose moved row a partition trigger dropped, as it does for many', async () => {
    await h.client
      .query(`CREATE TABLE parted (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
      CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
      CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
      INSERT INTO parted VALUES (1, 'eu'), (2, 'eu');
      CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER dropper BEFORE INSERT ON parted_us FOR EACH ROW EXECUTE FUNCTION drop_row()`);
    await h.capture(['parted'], { tables: { parted: { storeChangedFrom } } });
    await expect(h.client.query(`UPDATE parted SET region = 'us' WHERE id = 1`)).rejects.toThrow(
      /changed 1 rows but produced 0 new rows.*cannot be paired/,
    );
    await h.client.query(`DROP TRIGGER dropper ON parted_us`);
    await h.client.query(`UPDATE parted SET region = 'us' WHERE id = 1`);
    expect(await h.changes(`table_name = 'parted' AND op = 'update'`)).toEqual([
      expect.objectContaining({ table_pk: { id: 1, region: 'us' }, previous_pk: { id: 1, region: 'eu' } }),
    ]);
  });
});
