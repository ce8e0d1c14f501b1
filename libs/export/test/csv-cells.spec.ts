import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { csvRecord } from '../src/export-formats';
import { inertCell } from '../src/export.service';

/** A small deterministic generator (mulberry32): the same records every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['"', ',', '\n', '\r', '\r\n', ' ', 'a', 'é', '😀', '=', "'", '\\', '\t', '\u2028', '""', ''];

describe('CSV cells', () => {
  it('writes each record exactly as csv-stringify does (10,000 random records, nulls and empty cells included)', () => {
    const next = random(42);
    for (let n = 0; n < 10_000; n++) {
      const cells = Array.from({ length: 1 + Math.floor(next() * 5) }, () => {
        if (next() < 0.1) return null;
        return Array.from({ length: Math.floor(next() * 8) }, () => PIECES[Math.floor(next() * PIECES.length)]).join(
          '',
        );
      });
      expect(csvRecord(cells)).toBe(stringify([cells]));
    }
  });

  it('doubles every quote of a value longer than one slice, and a CSV reader gets the value back', () => {
    const value = `{"v":"${'"'.repeat(200_000)}x${'ab"'.repeat(70_000)}"}`;
    const record = csvRecord(['1', value, null]);
    expect(record).toBe(stringify([['1', value, null]]));
    expect(parse(record)).toEqual([['1', value, '']]);
  });

  it('neutralizes formulas, the full-width signs Apple Numbers turns into them included', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'])
      expect(inertCell(`${start}HYPERLINK("http://evil")`)).toBe(`'${start}HYPERLINK("http://evil")`);
    for (const safe of ['HYPERLINK', ' =1', '1=1', "'=1", '\u00bd']) expect(inertCell(safe)).toBe(safe);
  });
});
