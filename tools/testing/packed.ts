import { execFileSync, spawn } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** Every published package, in dependency order (tools/libs.json, the one list). */
export const LIBS: readonly string[] = JSON.parse(readFileSync(path.join(ROOT, 'tools', 'libs.json'), 'utf8'));

/**
 * `npm pack` of every lib into a fresh folder outside the workspace (readable by the tests' other users),
 * for apps that install only the tarballs and public packages: `{ work, tarballs }` (paths in LIBS order).
 */
export function packLibs(prefix: string): { work: string; tarballs: string[] } {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(work, 0o755);
  const tarballs = LIBS.map((lib) => {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: path.join(ROOT, 'libs', lib),
      encoding: 'utf8',
    });
    return path.join(work, out.trim().split('\n').pop()!);
  });
  return { work, tarballs };
}

/** `{ "@threadline/<lib>": "file:<tarball>" }` for an app's dependencies. */
export function tarballDependencies(tarballs: string[]): Record<string, string> {
  return Object.fromEntries(LIBS.map((lib, i) => [`@threadline/${lib}`, `file:${tarballs[i]}`]));
}

/** The version ranges the workspace itself uses, by package name. */
export function workspaceVersions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return { ...pkg.dependencies, ...pkg.devDependencies };
}

/** The packages a Threadline app needs besides the tarballs (the workspace's versions: NestJS 12, TypeORM 1.x). */
export const APP_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/typeorm',
  '@nestjs/terminus',
  'typeorm',
  'pg',
  'reflect-metadata',
  'rxjs',
  'class-validator',
  'class-transformer',
  'nest-commander',
  'nestjs-cls',
];

/** Runs a command to its end without blocking the event loop (a test's app or server may be answering meanwhile). */
export function runCommand(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
