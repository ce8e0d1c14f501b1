import { auditSchemaSql } from '@threadline/capture';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { ActorRef } from '../src';

const long = (n: number, unit = 'x') => unit.repeat(n);

/**
 * Raw actor texts as an app could set them in `threadline.actor_ref` or
 * pass to recordAction, including the shapes that once passed the
 * database's check and then failed the write on the actor index.
 */
const SHAPES: string[] = [
  '{"type":"user","id":"42"}',
  '{"type":"user","id":" 42 "}',
  '{"type":"user","id":"\\u00a042\\u3000\\ufeff"}',
  '{"type":"user","id":"\\u008542"}',
  '{"type":"user","id":42}',
  '{"type":"user","id":1.0}',
  '{"type":"user","id":1e2}',
  '{"type":"user","id":-0}',
  '{"type":"user","id":1.5}',
  '{"type":"user","id":9007199254740993}',
  '{"type":"user","id":1e400}',
  '{"type":"user","id":0e400}',
  '{"type":"user","id":1e-400}',
  '{"type":"user","id":3.0000000000000001}',
  '{"type":"user","id":9007199254740990.9999}',
  '{"type":"user","id":9007199254740991}',
  '{"type":"user","id":-9007199254740991.000}',
  '{"type":"user","id":12.5e1}',
  `{"type":"anonymous","id":"${long(5000)}"}`,
  '{"type":"anonymous"}',
  `{"type":"user","id":"u1","extra":"${long(3000)}"}`,
  `{"type":"user","id":"${long(256, '😀')}"}`,
  `{"type":"user","id":"${long(257, '😀')}"}`,
  `{"type":"user","id":"${long(256)}"}`,
  `{"type":"user","id":"${long(257)}"}`,
  '{"type":"robot","id":"1"}',
  '{"type":"user"}',
  '{"type":"user","id":""}',
  '{"type":"user","id":"   "}',
  '{"type":"user","id":null}',
  '{"type":"user","id":true}',
  '{"type":"user","id":"a\\u0000b"}',
  '{"type":"user","id":"\\ud800"}',
  '{"type":"user","id":"a","id":"b"}',
  '{"type":"user","id":"a","type":"admin"}',
  '{"type":["user"],"id":"1"}',
  '[]',
  'null',
  '{"type":"user","id":"1"',
  // the database's fast path takes exactly what ActorRef.serialize() writes; these sit on its edges
  '{"type":"user","id":"42","id":"42"}',
  '{"type":"user","id":"4 2"}',
  '{"type":"user","id":"Ω42"}',
  '{"type":"user","id":"42\u2028"}',
  '{"type":"user","id":"42 "}',
  '{"type":"user","id":"a\\/b"}',
  '{"type":"user","id":"a\\"b"}',
  '{"type":"user","id":"a\tb"}',
  '{"type":"anonymous","id":"1"}',
  '{"type":"user" ,"id":"1"}',
  '{"type":"service_account","id":"~"}',
  `{"type":"job","id":"${long(257, 'y')}"}`,
  // found by an attack round: whitespace JSON does not allow, numbers numeric cannot hold, leading zeros
  '\u00a0{"type":"user","id":"1"}',
  '{"type":"user","id":"1"}\u2028',
  '{"type":"user","id":0e-1000000}',
  '{"type":"user","id":0e99999999999}',
  '{"type":"user","id":0.000000000000000000000000000000000000000000000000001e51}',
  '{"type":"user","id":0.0000000000000000000000000000000000000000000000000015e51}',
  '{"type":"user","id":00012}',
  '{"type":"user","id":-0.0e5}',
  // v10: text of ActorRef's own shape is parsed without an exception block; these sit on that pattern's edges
  '{"type":"user","id":"a\u007fb"}',
  '{"type":"user","id":"\u001f"}',
  '{"type":"user","id":"a\\b"}',
  '{"type":"User","id":"1"}',
  '{"type":"robot","id":"r2"}',
  `{"type":"user","id":"${long(590)}"}`,
  `{"type":"user","id":"${long(600)}"}`,
  '{"type":"user","id":""}\n',
  '{"type":"anonymous"} ',
];

/** What ActorRef makes of a raw text: the JSON it stores, or null when it refuses it. */
function inNode(text: string): unknown {
  try {
    return ActorRef.parse(text).toJSON();
  } catch {
    return null;
  }
}

describe('the database and ActorRef agree on every actor shape (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(auditSchemaSql('public').up);
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db.drop();
  });

  /** What the write path stores for the setting, or null when it refuses it (with a Threadline message). */
  async function inDatabase(text: string): Promise<unknown> {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [text]);
      const { rows: created } = await client.query(`SELECT threadline_transaction_id() AS id`);
      const { rows } = await client.query(`SELECT t.actor_ref FROM audit_transactions t WHERE t.id = $1`, [
        created[0].id,
      ]);
      return rows[0].actor_ref;
    } catch (error) {
      expect((error as Error).message).toMatch(/^threadline: threadline\.actor_ref is not (a valid actor|valid JSON)/);
      return null;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it.each(SHAPES.map((s) => [s.length > 80 ? `${s.slice(0, 60)}… (${s.length} chars)` : s, s]))(
    '%s',
    async (_label, text) => {
      const node = inNode(text);
      expect(await inDatabase(text)).toEqual(node);
      if (node !== null) {
        // and an action records the same actor
        const { rows: recorded } = await client.query(
          `SELECT r.id FROM threadline_record_action('x', $1, 'ok', NULL, NULL, NULL, NULL, NULL, NULL, NULL) AS r`,
          [text],
        );
        const { rows } = await client.query(`SELECT a.actor_ref FROM audit_actions a WHERE a.id = $1`, [
          recorded[0].id,
        ]);
        expect(rows[0].actor_ref).toEqual(node);
      }
    },
  );
});
