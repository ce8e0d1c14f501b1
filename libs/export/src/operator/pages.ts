import type { CoverageReport, TableRedaction } from '@threadline/health';
import { AuditChange, changeDiff } from '../audit-change';
import { Html, html, scriptJson } from './html';

/** What the header badge shows: the number of uncovered tables and of tables whose capture drifted, or why it is unknown. */
export type BadgeState = { uncovered: number; drifted: number } | { error: string };

export interface PageFrame {
  /** The mount path, e.g. '/audit'. */
  base: string;
  badge: BadgeState;
  current?: 'coverage' | 'redaction' | 'timeline';
}

/** Tables that should be covered and are not: uncovered (expected or unclassified) or missing. */
export function uncoveredCount(report: CoverageReport): number {
  return report.uncoveredExpected.length + report.unclassified.length + report.missingExpected.length;
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --ok-bg: #e6f4ea; --ok-fg: #1a4d2e; --warn-bg: #fff1d6; --warn-fg: #6b3d00; --err-bg: #fde7e9; --err-fg: #7a1020; --link: #0a55b8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible { outline: 3px solid #0a55b8; outline-offset: 2px; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 1; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 12px 20px; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; margin-right: auto; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 600; text-decoration: none; color: var(--fg); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 14px; font-weight: 600; text-decoration: none; }
.badge.ok { background: var(--ok-bg); color: var(--ok-fg); }
.badge.warn { background: var(--warn-bg); color: var(--warn-fg); }
main { padding: 16px 20px 40px; max-width: 1200px; }
h1 { font-size: 24px; margin: 8px 0 16px; }
h2 { font-size: 18px; margin: 0 0 8px; }
.muted { color: var(--muted); }
.banner { padding: 10px 14px; border-radius: 6px; margin: 0 0 16px; }
.banner.error { background: var(--err-bg); color: var(--err-fg); }
.banner[hidden] { display: none; }
.buckets { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 16px; }
.bucket { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.bucket ul { margin: 0; padding-left: 20px; }
.stale .bucket { opacity: 0.6; }
.table-wrap { overflow-x: auto; position: relative; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: #f6f8fa; }
code { font-size: 13px; overflow-wrap: anywhere; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 8px 16px; align-items: end; margin-bottom: 16px; }
form.filters label { display: flex; flex-direction: column; font-size: 14px; }
input { font: inherit; padding: 4px 6px; border: 1px solid #8c959f; border-radius: 4px; }
button, .button { font: inherit; padding: 5px 14px; border: 1px solid #8c959f; border-radius: 6px; background: #f6f8fa; color: var(--fg); text-decoration: none; display: inline-block; cursor: pointer; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.status-matches { color: var(--ok-fg); } .status-drift, .status-could_not_introspect { color: var(--err-fg); }
`;

function badge(frame: PageFrame): Html {
  const href = `${frame.base}/coverage`;
  if ('error' in frame.badge)
    return html`<a class="badge warn" href="${href}" id="coverage-badge">Coverage unknown</a>`;
  const text = badgeText(frame.badge.uncovered, frame.badge.drifted);
  return html`<a class="badge ${text === 'All covered' ? 'ok' : 'warn'}" href="${href}" id="coverage-badge">${text}</a>`;
}

/** "All covered", "2 uncovered", "1 with capture drift" or both; the page script words it the same way. */
export function badgeText(uncovered: number, drifted: number): string {
  const parts = [
    ...(uncovered ? [`${uncovered} uncovered`] : []),
    ...(drifted ? [`${drifted} with capture drift`] : []),
  ];
  return parts.length ? parts.join(', ') : 'All covered';
}

/** Every page: skip link, header with the coverage badge and navigation, one main landmark. */
export function layout(title: string, frame: PageFrame, body: Html, status?: Html): string {
  const link = (key: PageFrame['current'], path: string, label: string) =>
    html`<li><a href="${frame.base}${path}"${frame.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Threadline audit</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <span class="brand">Threadline audit</span>
  <nav aria-label="Audit pages"><ul>
    ${link('coverage', '/coverage', 'Coverage')}
    ${link('redaction', '/policy/redaction', 'Redaction policy')}
    ${link('timeline', '/timeline', 'Timeline')}
  </ul></nav>
  ${badge(frame)}
</header>
<main id="main">
${status ?? ''}
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

function list(items: string[], empty: string): Html {
  return items.length
    ? html`<ul>${items.map((t) => html`<li><code>${t}</code></li>`)}</ul>`
    : html`<p class="muted">${empty}</p>`;
}

export function coverageBuckets(report: CoverageReport): Html {
  const uncovered = [
    ...report.uncoveredExpected,
    ...report.unclassified,
    ...report.missingExpected.map((t) => `${t} (missing)`),
  ];
  return html`<div class="buckets">
  <section class="bucket" aria-labelledby="b-covered"><h2 id="b-covered">Covered (<span data-count="covered">${report.covered.length}</span>)</h2>${list(report.covered, 'None')}</section>
  <section class="bucket" aria-labelledby="b-uncovered"><h2 id="b-uncovered">Uncovered (<span data-count="uncovered">${uncovered.length}</span>)</h2>${list(uncovered, 'None')}</section>
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
<script>
(function () {
  var config = ${scriptJson({ url: `${frame.base}/coverage`, everyMs: refreshSeconds * 1000 })};
  var banner = document.getElementById('refresh-error');
  var buckets = document.getElementById('buckets');
  function list(el, items) {
    var section = el.closest('section');
    var old = section.querySelector('ul, p');
    var next;
    if (items.length === 0) { next = document.createElement('p'); next.className = 'muted'; next.textContent = 'None'; }
    else { next = document.createElement('ul'); items.forEach(function (t) { var li = document.createElement('li'); var c = document.createElement('code'); c.textContent = t; li.appendChild(c); next.appendChild(li); }); }
    if (old) section.replaceChild(next, old); else section.appendChild(next);
    el.textContent = String(items.length);
  }
  function refresh() {
    fetch(config.url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) { return res.json().then(function (body) { if (!res.ok) throw new Error(body.message || ('HTTP ' + res.status)); return body; }); })
      .then(function (r) {
        if (!buckets.querySelector('.buckets')) { location.reload(); return; }
        var uncovered = r.uncoveredExpected.concat(r.unclassified, r.missingExpected.map(function (t) { return t + ' (missing)'; }));
        list(buckets.querySelector('[data-count="covered"]'), r.covered);
        list(buckets.querySelector('[data-count="uncovered"]'), uncovered);
        list(buckets.querySelector('[data-count="expected"]'), r.expectedUncovered);
        var drift = [];
        r.drift.forEach(function (d) { d.differences.forEach(function (x) { drift.push(d.table + ': ' + x); }); });
        list(buckets.querySelector('[data-count="drift"]'), drift);
        buckets.querySelector('[data-count="drift"]').textContent = String(r.drift.length);
        var parts = [];
        if (uncovered.length) parts.push(uncovered.length + ' uncovered');
        if (r.drift.length) parts.push(r.drift.length + ' with capture drift');
        var badge = document.getElementById('coverage-badge');
        badge.textContent = parts.length ? parts.join(', ') : 'All covered';
        badge.className = 'badge ' + (parts.length ? 'warn' : 'ok');
        var at = document.getElementById('refreshed-at');
        at.textContent = r.checkedAt; at.setAttribute('datetime', r.checkedAt);
        buckets.classList.remove('stale');
        banner.hidden = true;
      })
      .catch(function (e) {
        banner.textContent = 'Refresh failed at ' + new Date().toISOString() + ': ' + e.message + '. The counts below are from the last successful refresh and may be out of date.';
        banner.hidden = false;
        buckets.classList.add('stale');
      });
  }
  setInterval(refresh, config.everyMs);
})();
</script>`;
  const status = html`<div id="refresh-error" class="banner error" role="alert"${failed ? '' : html` hidden`}>${failed ? `Coverage could not be read: ${report.error}` : ''}</div>`;
  return layout('Trigger coverage', { ...frame, current: 'coverage' }, body, status);
}

/** Per table: status, and column names and placeholder only; never a value. */
export function redactionPage(frame: PageFrame, tables: TableRedaction[] | { error: string }): string {
  if ('error' in tables) {
    return layout(
      'Redaction policy',
      { ...frame, current: 'redaction' },
      html``,
      html`<div class="banner error" role="alert">Redaction policy could not be read: ${tables.error}</div>`,
    );
  }
  const names = (items: string[] | undefined) => (items?.length ? items.join(', ') : '—');
  const rows = tables.map(
    (t) => html`<tr>
  <th scope="row"><code>${t.table}</code></th>
  <td class="status-${t.status}">${t.label}${t.differences.length ? html`<ul>${t.differences.map((d) => html`<li>${d}</li>`)}</ul>` : ''}${t.reason ? html`<p>${t.reason}</p>` : ''}</td>
  <td>${names(t.configured.mask)}</td><td>${names(t.configured.exclude)}</td>
  <td>${t.deployed ? names(t.deployed.mask) : '—'}</td><td>${t.deployed ? names(t.deployed.exclude) : '—'}</td>
  <td><code>${t.configured.maskPlaceholder}</code></td>
</tr>`,
  );
  const body = html`<p>For each configured table: does the deployed trigger redact what the configuration says? Column names and placeholder only, never a value.</p>
<div class="table-wrap"><table>
<caption class="muted">Masked columns keep their key with the placeholder; excluded columns are left out of the image.</caption>
<thead><tr><th scope="col">Table</th><th scope="col">Status</th><th scope="col">Masked (config)</th><th scope="col">Excluded (config)</th><th scope="col">Masked (deployed)</th><th scope="col">Excluded (deployed)</th><th scope="col">Placeholder</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7">No tables under capture.tables.</td></tr>`}</tbody>
</table></div>`;
  return layout('Redaction policy', { ...frame, current: 'redaction' }, body);
}

export interface TimelineView {
  filters: Record<string, string | undefined>;
  changes: AuditChange[];
  nextCursor: string | null;
  error?: string;
}

const FILTERS: [key: string, label: string, hint: string][] = [
  ['table', 'Table', 'posts or public.posts'],
  ['actor', 'Actor', 'user:42'],
  ['from', 'From', '2026-01-01T00:00:00Z'],
  ['to', 'To', '2026-01-31T23:59:59Z'],
  ['correlationId', 'Correlation id', ''],
];

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : '';
}

function actorLabel(actor: AuditChange['transaction']['actor_ref']): string {
  if (!actor) return 'none';
  return actor.id === undefined ? actor.type : `${actor.type}:${actor.id}`;
}

/** The timeline: the API's filter vocabulary as a GET form, keyset paging, export links with the same filters. */
export function timelinePage(frame: PageFrame, view: TimelineView): string {
  const filters = Object.fromEntries(FILTERS.map(([k]) => [k, view.filters[k]]));
  const form = html`<form class="filters" method="get" action="${frame.base}/timeline" aria-label="Filters">
${FILTERS.map(([k, label, hint]) => html`<label>${label}<input name="${k}" value="${filters[k] ?? ''}"${hint ? html` placeholder="${hint}"` : ''}></label>`)}
<div><button type="submit">Apply filters</button> <a href="${frame.base}/timeline">Clear</a></div>
</form>`;
  const exports = html`<div class="actions" aria-label="Export">${(['csv', 'json', 'ndjson'] as const).map(
    (format) =>
      html`<a class="button" href="${frame.base}/export${query({ ...filters, format })}" download>Export ${format.toUpperCase()}</a>`,
  )}</div>`;
  const rows = view.changes.map(
    (c) => html`<tr>
  <td><time datetime="${c.captured_at}">${c.captured_at}</time></td>
  <td><code>${c.table_schema}.${c.table_name}</code></td>
  <td>${c.op}</td>
  <td><code>${JSON.stringify(c.table_pk)}</code></td>
  <td>${c.changed_fields?.length ? c.changed_fields.join(', ') : c.op === 'update' ? '—' : ''}</td>
  <td>${actorLabel(c.transaction.actor_ref)}</td>
  <td>${c.transaction.correlation_id ?? ''}</td>
  <td><a href="${frame.base}/transactions/${c.transaction_id}">View transaction<span class="vh"> ${c.transaction_id}</span></a></td>
</tr>`,
  );
  const next = view.nextCursor
    ? html`<a class="button" rel="next" href="${frame.base}/timeline${query({ ...filters, cursor: view.nextCursor })}">Next page</a>`
    : html`<span class="muted">End of results</span>`;
  const body = html`${form}${exports}
<div class="table-wrap"><table>
<caption class="muted">Newest first. ${view.changes.length} change${view.changes.length === 1 ? '' : 's'} on this page.</caption>
<thead><tr><th scope="col">Captured at</th><th scope="col">Table</th><th scope="col">Op</th><th scope="col">Key</th><th scope="col">Changed fields</th><th scope="col">Actor</th><th scope="col">Correlation id</th><th scope="col">Transaction</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8">No changes match these filters.</td></tr>`}</tbody>
</table></div>
<nav class="actions" aria-label="Pages">${next}</nav>`;
  const status = view.error ? html`<div class="banner error" role="alert">${view.error}</div>` : undefined;
  return layout('Timeline', { ...frame, current: 'timeline' }, body, status);
}

/** One transaction: who and when, then every change with its before/after diff. */
export function transactionPage(frame: PageFrame, id: string, changes: AuditChange[]): string {
  if (changes.length === 0) {
    return layout(
      'Transaction',
      frame,
      html`<p>No captured changes for transaction <code>${id}</code> (unknown id, or purged by retention).</p>`,
    );
  }
  const tx = changes[0].transaction;
  const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));
  const sections = changes.map((change) => {
    const diff = changeDiff(change);
    const fields = Object.entries(diff.fields);
    return html`<section class="bucket" aria-label="${change.op} ${diff.table} ${JSON.stringify(change.table_pk)}">
<h2>${change.op} <code>${diff.table}</code> <code>${JSON.stringify(change.table_pk)}</code></h2>
<p class="muted">Captured at <time datetime="${change.captured_at}">${change.captured_at}</time>${change.previous_pk ? html`; key changed from <code>${JSON.stringify(change.previous_pk)}</code>` : ''}${change.op === 'snapshot' ? '; baseline snapshot of a row that existed before capture' : ''}</p>
${
  fields.length
    ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>${fields.map(
        ([name, f]) =>
          html`<tr><th scope="row">${name}</th><td>${f.before_omitted ? html`<span class="muted">not stored</span>` : html`<code>${show(f.before)}</code>`}</td><td><code>${show(f.after)}</code></td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${change.op === 'delete' ? 'Row deleted (no image after a delete).' : 'No field changed.'}</p>`
}
</section>`;
  });
  const body = html`<dl>
<dt>Transaction</dt><dd><code>${id}</code></dd>
<dt>Occurred at</dt><dd><time datetime="${tx.occurred_at}">${tx.occurred_at}</time></dd>
<dt>Actor</dt><dd>${actorLabel(tx.actor_ref)}</dd>
${tx.correlation_id ? html`<dt>Correlation id</dt><dd><a href="${frame.base}/timeline${query({ correlationId: tx.correlation_id })}">${tx.correlation_id}</a></dd>` : ''}
${tx.request_id ? html`<dt>Request id</dt><dd>${tx.request_id}</dd>` : ''}
${tx.source ? html`<dt>Source</dt><dd>${tx.source}</dd>` : ''}
</dl>
<p><a class="button" href="${frame.base}/transactions/${id}/changes" download>Download as JSON</a></p>
${sections}`;
  return layout(`Transaction`, frame, body);
}

/** Errors for browsers (403, 400): says why, shows no audit data (no badge counts either). */
export function errorPage(title: string, message: string, hint: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Threadline audit</title>
<style>${new Html(STYLE)}</style></head>
<body><main id="main"><h1>${title}</h1><p>${message}</p><p class="muted">${hint}</p></main></body></html>
`.value;
}
