import { readFileSync } from 'fs';
import { join } from 'path';
import { Html } from './html';

/** The stylesheet and browser script, kept as files (linted and formatted as CSS / JS) and inlined into each page. */
function asset(name: string): Html {
  return new Html(readFileSync(join(__dirname, 'assets', name), 'utf8'));
}

export const STYLE = asset('operator.css');
export const COVERAGE_SCRIPT = asset('coverage.client.js');
