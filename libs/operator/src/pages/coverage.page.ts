import type { CoverageReport } from '@threadline/health';
import { COVERAGE_SCRIPT } from './assets';
import { Html, html, scriptJson } from './html';
import { layout, PageFrame } from './layout';

/** A list of names, each with an optional note (which triggers a table lacks). */
function list(items: (string | [name: string, note: string])[], empty: string): Html {
  return items.length
    ? html`<ul>${items.map((t) =>
        typeof t === 'string'
          ? html`<li><code>${t}</code></li>`
          : html`<li><code>${t[0]}</code> <span class="muted">${t[1]}</span></li>`,
      )}</ul>`
    : html`<p class="muted">${empty}</p>`;
}

/** `table` with the triggers it lacks, when it has some but not all (a table with none is simply uncovered). */
function withMissing(report: CoverageReport, table: string): string | [string, string] {
  const missing = report.missingTriggers?.[table] ?? [];
  return missing.length && missing.length < 4 ? [table, `missing ${missing.join(', ')}`] : table;
}

export function coverageBuckets(report: CoverageReport): Html {
  const expected = [
    ...report.uncoveredExpected.map((t) => withMissing(report, t)),
    ...report.missingExpected.map((t) => `${t} (missing)`),
  ];
  const unclassified = report.unclassified.map((t) => withMissing(report, t));
  return html`<div class="buckets">
  <section class="bucket" aria-labelledby="b-covered"><h2 id="b-covered">Covered (<span data-count="covered">${report.covered.length}</span>)</h2>${list(report.covered, 'None')}</section>
  <section class="bucket" aria-labelledby="b-uncovered"><h2 id="b-uncovered">Uncovered, expected to be covered (<span data-count="uncovered">${expected.length}</span>)</h2>${list(expected, 'None')}</section>
  <section class="bucket" aria-labelledby="b-unclassified"><h2 id="b-unclassified">Unclassified, uncovered (<span data-count="unclassified">${unclassified.length}</span>)</h2><p class="muted note">Tables in neither expectedTables nor expectedUncoveredTables: classify them.</p>${list(unclassified, 'None')}</section>
  <section class="bucket" aria-labelledby="b-expected"><h2 id="b-expected">Expected uncovered (<span data-count="expected">${report.expectedUncovered.length}</span>)</h2>${list(report.expectedUncovered, 'None')}</section>
  <section class="bucket" aria-labelledby="b-drift"><h2 id="b-drift">Capture drift (<span data-count="drift">${report.drift.length}</span>)</h2>${list(driftLines(report), 'None')}</section>
</div>`;
}

/** One line per difference: `public.users: mask: deployed lacks name`. Names only, never values. */
function driftLines(report: CoverageReport): string[] {
  return report.drift.flatMap((d) => d.differences.map((difference) => `${d.table}: ${difference}`));
}

/**
 * The coverage page. Without JavaScript it is a plain report of the moment
 * it was served; with it, it refreshes from the same URL as JSON every
 * `refreshSeconds`, says when it last did, and shows an error banner (and
 * dims the stale counts) when a refresh fails, rather than freezing on them.
 */
export function coveragePage(
  frame: PageFrame,
  report: CoverageReport | { error: string },
  refreshSeconds: number,
): string {
  const failed = 'error' in report;
  const body = html`<p>Tables of the audited schemas with and without Threadline triggers, and tables whose deployed capture differs from the configuration or from the table. Refreshes every ${refreshSeconds} seconds.</p>
<p aria-live="polite">Last refreshed: <time id="refreshed-at" datetime="${failed ? '' : report.checkedAt}">${failed ? 'never' : report.checkedAt}</time></p>
<div id="buckets">${failed ? '' : coverageBuckets(report)}</div>
<script type="application/json" id="coverage-config">${scriptJson({ url: `${frame.base}/coverage`, everyMs: refreshSeconds * 1000 })}</script>
<script>${COVERAGE_SCRIPT}</script>`;
  const status = html`<div id="refresh-error" class="banner error" role="alert"${failed ? '' : html` hidden`}>${failed ? `Coverage could not be read: ${report.error}` : ''}</div>`;
  return layout('Trigger coverage', { ...frame, current: 'coverage' }, body, status);
}
