import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Html } from './html';

/** The stylesheet and browser script, kept as files (linted and formatted as CSS / JS) and inlined into each page. */
function asset(name: string): Html {
  return new Html(readFileSync(join(__dirname, 'assets', name), 'utf8'));
}

export const STYLE = asset('operator.css');
export const COVERAGE_SCRIPT = asset('coverage.client.js');
export const LOCAL_TIME_SCRIPT = asset('local-time.client.js');

const hash = (content: Html) => `'sha256-${createHash('sha256').update(content.value).digest('base64')}'`;

/**
 * The pages' Content-Security-Policy: nothing loads or runs but the inlined
 * stylesheet, the coverage script and the local-time script (allowed by
 * their hashes), a script may
 * only fetch from this origin, forms submit only here, and no site may frame
 * the pages.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(COVERAGE_SCRIPT)} ${hash(LOCAL_TIME_SCRIPT)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
