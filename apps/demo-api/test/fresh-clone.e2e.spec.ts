import { spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
// The embedded server is what this is about: the pass against an external server (TEST_DATABASE_URL) skips it.
const runIt = asRoot && !process.env.TEST_DATABASE_URL;

/**
 * The README's set-up as a new user on a container runs it: as root, `git clone` into a folder the postgres OS
 * user cannot enter (mktemp -d is 0700, like root's home), `npm install`, then `npm start` (the demo on its own
 * embedded PostgreSQL, answering the README's request) and `npm test` (one project, to keep CI short: the server
 * start is what used to fail, with an unhandled `spawn .../initdb EACCES`).
 */
describe('a fresh clone under a 0700 directory, as root: the README commands work', () => {
  let parent: string;
  afterAll(() => parent && rmSync(parent, { recursive: true, force: true }));

  (runIt ? it : it.skip)(
    'npm install, npm start (answers the quick start request) and npm test',
    async () => {
      parent = mkdtempSync(path.join(tmpdir(), 'threadline-clone-'));
      expect(statSync(parent).mode & 0o777).toBe(0o700);
      const checkout = path.join(parent, 'threadline');
      const sh = (command: string, timeout = 600_000) =>
        spawnSync('bash', ['-c', command], { cwd: checkout, encoding: 'utf8', timeout, env: cleanEnv() });
      expect(spawnSync('git', ['clone', '-q', ROOT, checkout], { encoding: 'utf8' }).status).toBe(0);

      const install = sh('npm install --prefer-offline --no-audit --no-fund --loglevel=error');
      expect({ install: install.status, stderr: install.stderr.slice(-2000) }).toMatchObject({ install: 0 });

      // npm start: wait for the app, send the README's request, stop it
      const port = 3900 + Math.floor(Math.random() * 90);
      const start = spawn('npm', ['start'], {
        cwd: checkout,
        env: { ...cleanEnv(), PORT: String(port) },
        detached: true,
      });
      let log = '';
      start.stdout.on('data', (c) => (log += c));
      start.stderr.on('data', (c) => (log += c));
      try {
        const listening = await waitFor(() => log.includes(`listening on http://localhost:${port}`), 300_000);
        expect({ listening, log: listening ? '' : log.slice(-3000) }).toEqual({ listening: true, log: '' });
        const created = await fetch(`http://127.0.0.1:${port}/api/posts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user-id': '1' },
          body: JSON.stringify({ title: 'Hello', body: 'First post' }),
        });
        expect(created.status).toBe(201);
        expect((await created.json()).audit_transaction_id).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        process.kill(-start.pid!, 'SIGTERM');
        await waitFor(() => start.exitCode !== null || start.signalCode !== null, 30_000);
      }
      expect(log).not.toMatch(/EACCES/);

      const test = sh('npm test -- --projects=core');
      expect({ test: test.status, tail: test.stdout.trim().split('\n').pop() }).toEqual({
        test: 0,
        tail: expect.stringMatching(/^\d+ passed, 0 failed$/),
      });
    },
    1_200_000,
  );
});

/** This process's environment without what Jest and the parent run set for themselves. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith('JEST_') || key.startsWith('THREADLINE_TEST') || key.startsWith('NX_') || key === 'DATABASE_URL')
      delete env[key];
  return env;
}

async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return done();
}
