import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';

const LIBS = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

// Every message, page and SQL error of the libraries is read inside someone else's app, where the
// demo's `npm run cli --`, `npm start` and its DATABASE_URL mean nothing: they name the command instead.
describe('library messages name no command of the demo app', () => {
  const files = readdirSync(LIBS)
    .filter((lib) => statSync(path.join(LIBS, lib, 'src')).isDirectory())
    .flatMap((lib) => sources(path.join(LIBS, lib, 'src')));

  it('finds the sources', () => expect(files.length).toBeGreaterThan(50));

  it.each([/npm run cli/, /npm start\b/, /DATABASE_URL=/])('no source contains %s', (pattern) => {
    const offending = files.filter((f) => pattern.test(readFileSync(f, 'utf8'))).map((f) => path.relative(LIBS, f));
    expect(offending).toEqual([]);
  });
});
