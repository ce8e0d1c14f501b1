import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { Browser, chromium, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads no
 * browser of its own). Installed with apt when missing and running as root,
 * like PgBouncer. The flags keep it off the network: this machine's closed
 * network refuses Chromium's background connections. Playwright gives each
 * launch a fresh, empty profile.
 */
export async function launchChromium(): Promise<Browser> {
  ensureInstalled();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

function ensureInstalled(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is not installed (${CHROMIUM}); install Debian's package: sudo apt-get install chromium`);
  }
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], {
    stdio: 'ignore',
  });
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now, one line each
 * (rule, impact, the first offending element). axe runs through the DevTools protocol, which the pages' CSP
 * does not apply to, so the pages are checked under their real policy.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource());
  const results = (await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
  )) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes[0]?.target.join(' ')}`);
}

let axeScript: string | undefined;
function axeSource(): string {
  axeScript ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeScript;
}
