import { ChildProcess, execFileSync, spawn } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir, userInfo } from 'os';
import * as path from 'path';
import { findFreePort } from '../embedded-postgres/src';

const BINARY = '/usr/sbin/pgbouncer';

export interface PgBouncerHandle {
  /** The same database as `targetUrl`, reached through PgBouncer. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's PgBouncer in transaction pooling mode in front of `targetUrl`,
 * with `poolSize` server connections. Installed with apt when missing (as
 * root); run as the unprivileged `postgres` user when we are root, since
 * PgBouncer refuses to run as root.
 */
export async function startPgBouncer(targetUrl: string, poolSize: number): Promise<PgBouncerHandle> {
  ensureInstalled();
  const target = new URL(targetUrl);
  const dir = mkdtempSync(path.join(tmpdir(), 'threadline-pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await findFreePort();
  const user = decodeURIComponent(target.username);
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" "${decodeURIComponent(target.password)}"\n`);
  writeFileSync(
    ini,
    `[databases]
* = host=${target.hostname} port=${target.port || 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${path.join(dir, 'userlist.txt')}
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = ${path.join(dir, 'pgbouncer.log')}
`,
  );
  const asRoot = userInfo().uid === 0;
  if (asRoot) ensurePostgresUser();
  const ids = asRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      }
    : {};
  const child: ChildProcess = spawn(BINARY, [ini], { ...ids, stdio: 'ignore' });
  await waitForPort(port, child);
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function ensureInstalled(): void {
  if (existsSync(BINARY)) return;
  if (userInfo().uid !== 0) {
    throw new Error(`PgBouncer is not installed (${BINARY}); install Debian's package: sudo apt-get install pgbouncer`);
  }
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer'], {
    stdio: 'ignore',
  });
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--user-group', 'postgres']);
  }
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const net = await import('net');
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`PgBouncer exited with code ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PgBouncer did not listen on port ${port}`);
}
