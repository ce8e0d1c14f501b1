import { readFileSync } from 'fs';
import * as path from 'path';
import { LIBS, ROOT } from '@threadline/testing/packed';

/**
 * Peers the workspace deliberately runs below their newest supported major, and why. Everything else
 * the packages declare as a peer must be installed here at the newest major its range admits, so the
 * suite (and the demo, the CLI, the packed-install app) runs what a new app gets today, and the older
 * majors are the version matrix's job.
 */
const HELD_BACK: Record<string, string> = {
  'nestjs-cls':
    '7 needs Node 22, and @nestjs-cls/transactional 3 (the attribution tests) requires 6; the matrix NestJS 12 app runs 7',
};

function majors(range: string): number[] {
  return [...range.matchAll(/(?:^|\|\|)\s*[\^~>=]*\s*(\d+)\./g)].map((m) => Number(m[1]));
}

function installedMajor(name: string): number {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return Number(String(pkg.version).split('.')[0]);
}

const peers = new Map<string, { range: string; lib: string }>();
for (const lib of LIBS) {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'libs', lib, 'package.json'), 'utf8'));
  for (const [name, range] of Object.entries<string>(pkg.peerDependencies ?? {})) peers.set(name, { range, lib });
}

describe('the workspace runs the newest majors the packages support', () => {
  it.each([...peers.keys()].filter((name) => !(name in HELD_BACK)))('%s', (name) => {
    const { range, lib } = peers.get(name)!;
    const newest = Math.max(...majors(range));
    expect({ name, lib, range, installed: installedMajor(name) }).toEqual({ name, lib, range, installed: newest });
  });

  it.each(Object.keys(HELD_BACK))('%s is held back for a stated reason, and still inside its peer range', (name) => {
    const { range } = peers.get(name)!;
    expect(majors(range)).toContain(installedMajor(name));
    expect(Math.max(...majors(range))).toBeGreaterThan(installedMajor(name));
  });

  it('reads majors from the ranges the packages write', () => {
    expect(majors('^10.0.0 || ^11.0.0 || ^12.0.0')).toEqual([10, 11, 12]);
    expect(majors('^0.3.0 || ^1.0.0')).toEqual([0, 1]);
    expect(majors('^3.21.0')).toEqual([3]);
  });
});
