import { execFileSync } from 'child_process';
import { existsSync } from 'fs';
import { Browser, chromium } from 'playwright-core';

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
