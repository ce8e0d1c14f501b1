import { cliCommandLine } from '@threadline/core';
import type { CheckpointStatus, IntegrityReport, KeptCheckpointsView } from '@threadline/proof';
import { html } from './html';
import { layout, PageFrame } from './layout';

/** The hash chain, checked now: intact or the problems found (transaction ids and seal numbers only, never values). */
export function integrityPage(
  frame: PageFrame,
  report:
    (IntegrityReport & { kept?: KeptCheckpointsView | null; checkpointer?: CheckpointStatus }) | { error: string },
  now = Date.now(),
): string {
  const current = { ...frame, current: 'integrity' as const };
  if ('error' in report) {
    return layout(
      'Integrity',
      current,
      html``,
      html`<div class="banner error" role="alert">The integrity check could not run: ${report.error}</div>`,
    );
  }
  const keptProblems = report.kept?.problems ?? [];
  const failing = report.checkpointer?.failing;
  const status = !report.ok
    ? html`<div class="banner error" role="alert">${report.problemCount} problem(s): sealed records were altered, inserted or deleted. First: ${report.problems[0]?.message ?? ''}</div>`
    : keptProblems.length || failing
      ? html`<div class="banner error" role="alert">${keptProblems.length ? keptProblems[0] : html`Checkpoints are failing since ${failing!.since}: ${failing!.message}`}</div>`
      : html`<div class="banner ok" role="status">Intact: every sealed record is as it was sealed (${report.checked} seals checked${report.sealedNow ? `, ${report.sealedNow} sealed now` : ''}${report.checkpointsChecked ? `, against ${report.checkpointsChecked} signed checkpoint(s) kept outside the database` : ''}).</div>`;
  const body = html`<p>Each committed audit transaction is hashed in the database and sealed into a hash chain; this page sealed what had committed and recomputed every seal. <code>${cliCommandLine('verify-integrity')}</code> runs the same check.</p>
<dl>
<dt>Head</dt><dd>${report.head ? html`seal #${report.head.seq} <code class="hash">${report.head.chainSha256}</code> (${report.head.sealedAt})` : 'nothing sealed yet'}</dd>
<dt>Retention</dt><dd>${report.purged ? html`${report.purged} sealed transaction(s) purged, each as the sealed purge ledger records it; every seal is checked` : 'nothing purged: every sealed transaction is present'}${report.checkpoint ? html` (a purge before v5 left a checkpoint at seal #${report.checkpoint.seq}, ${report.checkpoint.createdAt})` : ''}</dd>
<dt>Checkpoints</dt><dd>${checkpointLine(report.kept, report.checkpointer, now)}</dd>
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

/** The last checkpoint kept outside the database and its age, or why there is none. */
function checkpointLine(
  kept: KeptCheckpointsView | null | undefined,
  status: CheckpointStatus | undefined,
  now: number,
) {
  if (!status?.enabled)
    return html`off: set <code>health.integrity.checkpoints</code> to keep signed checkpoints outside the database (docs/trust.md)`;
  const latest =
    kept?.latest ??
    (status.last && { size: status.last.size, time: status.last.time, file: status.last.path ?? 'the sink' });
  if (!latest) return 'none kept yet';
  const age = latest.time ? Math.max(0, Math.round((now - Date.parse(latest.time)) / 1000)) : null;
  return html`the last covers ${latest.size} seals, signed ${latest.time ?? 'at an unknown time'}${age === null ? '' : ` (${age < 120 ? `${age} s` : age < 7200 ? `${Math.round(age / 60)} min` : `${Math.round(age / 3600)} h`} ago)`}, kept in <code>${latest.file}</code>`;
}
