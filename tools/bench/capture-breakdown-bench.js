#!/usr/bin/env node
// Where the microseconds of an audited OLTP transaction go (`npm run bench`, docs/capture-cost.md).
// The OLTP transaction of capture_versions (set the actor, insert, two one-row updates, a read,
// commit) runs inside the server, in databases that differ in one thing each: the capture as
// installed, and the same capture with one part taken out by editing the installed functions or
// indexes. Rounds alternate between them; each part's cost is the median of (full - without it)
// per round, in microseconds per transaction. Prints:
//   capture_breakdown us_per_tx unaudited=<us> audited=<us> <part>=<us> ...
// The parts (what is taken out):
//   firing             the statement triggers with their transition tables, the function doing nothing
//                      (measured against no audit, not against the full capture)
//   owner_rights       SECURITY DEFINER and the function's SET clauses (search_path, jit, nestloop, mergejoin)
//   transaction_row    the audit_transactions row: created at the first write, found again by the others
//   transaction_lookup the check that the cached transaction row is this transaction's (an index probe per later statement)
//   actor              the actor: parsed, checked and stored (the session sets none)
//   row_count_check    the UPDATE's count of old and new rows before pairing them
//   numbered_pairing   what the one-row path saves: pairing one row by numbering and joining, as before v10
//   image              building the jsonb row images (to_jsonb of the new row)
//   indexes            every secondary index of audit_changes and audit_transactions (query indexes and the two others)
//   guard              a capture function without the DDL event trigger checks its columns on every statement
//                      (its cost is added: full with the guard, minus full)
const { auditSchemaSql } = require('@threadline/capture');
const { startBenchServer } = require('./bench-server');
const { median, oltpDatabase, runOltp } = require('./oltp-in-server');

const N = Number(process.env.BENCH_BREAKDOWN_TX ?? 2000);
const ROUNDS = Number(process.env.BENCH_BREAKDOWN_ROUNDS ?? 6);
const NO_SETTINGS = / SET (jit|enable_nestloop|enable_mergejoin|search_path) TO [^\n]*\n/g;
const TX_CALL = /\(SELECT "public"\."threadline_transaction_id"\(\)\)/g;
const LOOKUP =
  /IF EXISTS \(SELECT 1 FROM "public"\."audit_transactions" AS t WHERE t\.id = tx_id AND t\.txid = xid AND t\.occurred_at = now\(\)\) THEN/;
const COUNT =
  'SELECT (SELECT count(*) FROM threadline_old), (SELECT count(*) FROM threadline_new) INTO threadline_rows, threadline_new_rows;';

/** Replaces `pattern` in an installed function's definition, failing when it is not there (the capture changed). */
const editFunction = (signature, pattern, replacement) => async (c) => {
  const { rows } = await c.query(`SELECT pg_get_functiondef($1::regprocedure) AS d`, [signature]);
  const edited = rows[0].d.replace(pattern, replacement);
  if (edited === rows[0].d)
    throw new Error(`capture_breakdown: ${pattern} not found in ${signature}; update the bench`);
  await c.query(edited);
};

const VARIANTS = {
  unaudited: { install: false },
  audited: {},
  firing: {
    patch: editFunction(
      't_audit()',
      /AS \$function\$[\s\S]*\$function\$/,
      'AS $function$ BEGIN RETURN NULL; END $function$',
    ),
  },
  owner_rights: {
    patch: async (c) => {
      await editFunction('t_audit()', / SECURITY DEFINER\n/, '')(c);
      await editFunction('t_audit()', NO_SETTINGS, '')(c);
    },
  },
  transaction_row: { patch: editFunction('t_audit()', TX_CALL, `'00000000-0000-0000-0000-000000000000'::uuid`) },
  transaction_lookup: { patch: editFunction('threadline_transaction_id()', LOOKUP, 'IF true THEN') },
  actor: { actor: false },
  row_count_check: { patch: editFunction('t_audit()', COUNT, 'threadline_rows := 1; threadline_new_rows := 1;') },
  numbered_pairing: { patch: editFunction('t_audit()', `AND threadline_rows = 1 THEN`, 'AND false THEN') },
  image: { patch: editFunction('t_audit()', /to_jsonb\(n\.\*\)/g, `'{}'::jsonb`) },
  indexes: {
    patch: (c) =>
      c.query(`DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT indexrelid::regclass AS i FROM pg_index
          WHERE indrelid IN ('audit_changes'::regclass, 'audit_transactions'::regclass) AND NOT indisprimary
        LOOP EXECUTE 'DROP INDEX ' || r.i; END LOOP; END $$`),
  },
  guard: {
    patch: (c) =>
      c.query(`DROP EVENT TRIGGER threadline_ddl; SELECT threadline_capture('public', 't', 't_audit', '{}')`),
  },
};

(async () => {
  const server = await startBenchServer('capture_breakdown');
  const names = Object.keys(VARIANTS);
  const clients = {};
  for (const name of names) {
    const { install, patch, actor } = VARIANTS[name];
    clients[name] = await oltpDatabase(server.url, `cb_${name}`, {
      install: install === false ? undefined : auditSchemaSql('public').up,
      patch,
      actor: actor !== false,
    });
  }
  const run = (name, first) => runOltp(clients[name], first, N);
  for (const name of names) await run(name, 1e9); // warm: plans cached, pages in memory
  const perTx = Object.fromEntries(names.map((name) => [name, []]));
  const cost = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...names].reverse() : names;
    const us = {};
    for (const name of order) us[name] = await run(name, (round + 1) * 10 * N);
    for (const name of names) {
      perTx[name].push(us[name]);
      if (name === 'firing') cost[name].push(us.firing - us.unaudited);
      else if (name === 'guard') cost[name].push(us.guard - us.audited);
      else cost[name].push(us.audited - us[name]);
    }
  }
  const parts = names.filter((name) => name !== 'unaudited' && name !== 'audited');
  console.log(
    `capture_breakdown us_per_tx unaudited=${median(perTx.unaudited).toFixed(0)} audited=${median(perTx.audited).toFixed(0)} ` +
      parts.map((name) => `${name}=${median(cost[name]).toFixed(0)}`).join(' '),
  );
  for (const client of Object.values(clients)) await client.end();
  await server.stop();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
