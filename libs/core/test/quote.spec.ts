import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { Client } from 'pg';
import { ident, literal, qualified, textArray } from '../src';

const HOSTILE = [
  'plain',
  "it's",
  'back\\slash',
  'ends in a backslash\\',
  "\\'; DROP TABLE victims; --",
  'é "quoted" $$ $tag$',
  '\\\\double',
];

describe('SQL quoting (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE TABLE victims (id int)`);
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it.each(['on', 'off'])('literal() reads back exactly with standard_conforming_strings = %s', async (setting) => {
    await client.query(`SET standard_conforming_strings = ${setting}`);
    for (const value of HOSTILE) {
      const { rows } = await client.query(`SELECT ${literal(value)} AS v, ${textArray([value, 'x'])} AS a`);
      expect(rows[0]).toEqual({ v: value, a: [value, 'x'] });
    }
    await client.query(`SELECT 1 FROM victims`);
  });

  it('ident() and qualified() keep any name a name', async () => {
    const odd = 'we"ird; DROP TABLE victims; --';
    await client.query(`CREATE TABLE ${qualified('public', odd)} (${ident('sel"ect')} int)`);
    const { rows } = await client.query(`SELECT relname FROM pg_class WHERE relname = $1`, [odd]);
    expect(rows).toEqual([{ relname: odd }]);
    await client.query(`SELECT 1 FROM victims`);
  });

  it('refuses NUL, which no PostgreSQL text can hold', () => {
    expect(() => literal('a\0b')).toThrow('SQL literals cannot contain NUL characters');
  });
});
