import { cliCommandLine } from '@threadline/core';
import type { IntegrityReport } from '@threadline/proof';
import { html } from './html';
import { layout, PageFrame } from './layout';

/** The hash chain, checked now: intact or the problems found (transaction ids and seal numbers only, never values). */
export function integrityPage(frame: PageFrame, report: IntegrityReport | { error: string }): string {
  const current = { ...frame, current: 'integrity' as const };
  if ('error' in report) {
    return layout(
      'Integrity',
      current,
      html``,
      html`<div class="banner error" role="alert">The integrity check could not run: ${report.error}</div>`,
    );
  }
  const status = report.ok
    ? html`<div class="banner ok" role="status">Intact: every sealed record is as it was sealed (${report.checked} seals checked${report.sealedNow ? `, ${report.sealedNow} sealed now` : ''}).</div>`
    : html`<div class="banner error" role="alert">${report.problemCount} problem(s): sealed records were altered, inserted or deleted. First: ${report.problems[0]?.message ?? ''}</div>`;
  const body = html`<p>Each committed audit transaction is hashed in the database and sealed into a hash chain; this page sealed what had committed and recomputed every seal. <code>${cliCommandLine('verify-integrity')}</code> runs the same check.</p>
<dl>
<dt>Head</dt><dd>${report.head ? html`seal #${report.head.seq} <code class="hash">${report.head.chainSha256}</code> (${report.head.sealedAt})` : 'nothing sealed yet'}</dd>
<dt>Retention</dt><dd>${report.purged ? html`${report.purged} sealed transaction(s) purged, each as the sealed purge ledger records it; every seal is checked` : 'nothing purged: every sealed transaction is present'}${report.checkpoint ? html` (a purge before v5 left a checkpoint at seal #${report.checkpoint.seq}, ${report.checkpoint.createdAt})` : ''}</dd>
<dt>Checked in</dt><dd>${report.durationMs} ms</dd>
</dl>
${
  report.problems.length
    ? html`<div class="table-wrap"><table class="stack"><caption class="muted">The first ${report.problems.length} of ${report.problemCount} problems, in chain order.</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Seal</th><th scope="col">Transaction</th><th scope="col">What</th></tr></thead>
<tbody>${report.problems.map(
        (p) =>
          html`<tr><td data-label="Kind">${p.kind}</td><td data-label="Seal">${p.seq ?? '—'}</td><td data-label="Transaction">${p.transactionId ? html`<a href="${frame.base}/transactions/${p.transactionId}"><code>${p.transactionId}</code></a>` : '—'}</td><td data-label="What">${p.message}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}
<p class="muted">Keep the head outside the database (a log, a ticket): a later check whose chain does not pass through it shows a rewrite.</p>`;
  return layout('Integrity', current, body, status);
}
