// The OLTP transaction run inside the server (capture_versions, capture_breakdown): set the actor,
// insert, two one-row updates, a read, commit, by a procedure that commits each one, so no client
// round trip blurs it. One database per variant on one server; rounds alternate between them.
const { Client } = require('pg');

/**
 * A fresh database `name` with table t, `install` (audit schema SQL, or none) and capture on t,
 * then `patch(client)` when given; `actor: false` leaves the actor unset.
 */
async function oltpDatabase(url, name, { install, patch, actor = true } = {}) {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const client = new Client({ connectionString: target.toString() });
  await client.connect();
  await client.query('SET client_min_messages = error');
  await client.query('SET synchronous_commit = off');
  if (install) await client.query(install);
  await client.query('CREATE TABLE t (id bigint PRIMARY KEY, a int, b text)');
  if (install) await client.query(`SELECT threadline_capture('public', 't', 't_audit', '{}')`);
  if (patch) await patch(client);
  const setActor = actor ? `PERFORM set_config('threadline.actor_ref', '{"type":"user","id":"42"}', true);` : '';
  await client.query(`CREATE PROCEDURE run(first bigint, n int) LANGUAGE plpgsql AS $p$
    DECLARE r record;
    BEGIN
      FOR i IN first .. first + n - 1 LOOP
        ${setActor}
        INSERT INTO t VALUES (i, 1, 'x');
        UPDATE t SET a = a + 1 WHERE id = i;
        UPDATE t SET b = 'y' WHERE id = i;
        SELECT * INTO r FROM t WHERE id = i;
        COMMIT;
      END LOOP;
    END $p$`);
  return client;
}

/** Microseconds per transaction of `n` transactions with ids from `first`. */
async function runOltp(client, first, n) {
  const started = process.hrtime.bigint();
  await client.query('CALL run($1, $2)', [first, n]);
  return Number(process.hrtime.bigint() - started) / 1000 / n;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
};

module.exports = { oltpDatabase, runOltp, median };
