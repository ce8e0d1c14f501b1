import { Client } from 'pg';

/**
 * Writes `n` audited transactions into a `posts (id serial, title text)` table with capture deployed, as
 * an app would: the actor set per transaction (users u0, u1, u2 in turn), an INSERT and an UPDATE of the
 * same row, and on the first one a recorded action. The tamper-evidence tests of proof, health and
 * baseline count seals and changes from this.
 */
export async function writeAuditedPosts(url: string, n: number, prefix = 'p'): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (let i = 0; i < n; i++) {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('threadline.actor_ref', '{"type":"user","id":"u${i % 3}"}', true)`);
      await client.query(`INSERT INTO posts (title) VALUES ($1)`, [`${prefix}${i}`]);
      await client.query(`UPDATE posts SET title = title || '!' WHERE title = $1`, [`${prefix}${i}`]);
      if (i === 0)
        await client.query(
          `SELECT * FROM threadline_record_action('post.created', '{"type":"user","id":"u0"}', 'ok', NULL, NULL, 'because', NULL, NULL, NULL, NULL)`,
        );
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}
