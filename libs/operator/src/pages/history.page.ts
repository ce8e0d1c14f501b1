import { AuditChange, changeDiff, TransactionActions } from '@threadline/query';
import { stringifyStoredJson } from '@threadline/core';
import { html } from './html';
import { actorLabel, historyUrl, layout, PageFrame } from './layout';
import { whyHtml } from './why';
import { fieldChangesHtml, valueHtml } from './values';

export interface HistoryView {
  /** `schema.table` and the key as given (JSON text of the primary-key columns). */
  table: string;
  key: string;
  /** The change id the row was named by (`change=`), kept in the page's links when the key is too long for them. */
  change?: string;
  changes: AuditChange[];
  nextCursor: string | null;
  /** Images just before each update or delete, by change id (before values). */
  previous: Map<string, Record<string, unknown> | null>;
  /** The actions the changes' transactions recorded (the "why"), by transaction id, oldest first. */
  actions?: Map<string, TransactionActions>;
  /** The change whose resulting state is shown ("as of"), when one was chosen. */
  asOf?: AuditChange | null;
  /** The `at` asked for, when it is not a change of this row. */
  asOfMissing?: string;
  error?: string;
}

/** Every change of one row, newest first (following key changes and truncates), with the state after any chosen change. */
export function historyPage(frame: PageFrame, view: HistoryView): string {
  const title = 'Record history';
  const here = (extra: Record<string, string | undefined>) =>
    historyUrl(frame, view.table, view.key, extra, view.change);
  if (view.error) {
    return layout(title, frame, html``, html`<div class="banner error" role="alert">${view.error}</div>`);
  }
  const rows = view.changes.map((c) => {
    const diff = changeDiff(c, view.previous.get(c.id));
    return html`<tr${view.asOf?.id === c.id ? html` class="selected"` : ''}>
  <td data-label="Captured at"><time datetime="${c.captured_at}">${c.captured_at}</time></td>
  <td data-label="Op">${c.op}${c.previous_pk ? html`<br><span class="muted">key was <code>${stringifyStoredJson(c.previous_pk)}</code></span>` : ''}${c.op === 'truncate' ? html`<br><span class="muted">table truncated (${Number(c.data_after?.rowCount ?? 0)} rows)</span>` : ''}</td>
  <td data-label="What changed">${fieldChangesHtml(diff)}</td>
  <td data-label="Actor">${actorLabel(c.transaction.actor_ref)}</td>
  <td data-label="Why">${whyHtml(frame, c.transaction, view.actions?.get(c.transaction.id))}</td>
  <td data-label="Links"><a href="${frame.base}/transactions/${c.transaction_id}">Transaction<span class="vh"> ${c.transaction_id}</span></a><br><a href="${here({ at: c.id })}">State after<span class="vh"> change ${c.id}</span></a></td>
</tr>`;
  });
  const asOf = view.asOfMissing
    ? html`<div class="banner error" role="alert">Change ${view.asOfMissing} is not a change of this row.</div>`
    : view.asOf
      ? html`<section class="bucket" aria-label="State after change ${view.asOf.id}"><h2>State after the change of <time datetime="${view.asOf.captured_at}">${view.asOf.captured_at}</time></h2>${
          view.asOf.op === 'delete' || view.asOf.op === 'truncate'
            ? html`<p>The row did not exist after this change (${view.asOf.op === 'delete' ? 'deleted' : 'removed by a TRUNCATE of its table'}).</p>`
            : html`<dl class="state">${Object.entries(view.asOf.data_after ?? {})
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => html`<dt>${k}</dt><dd>${valueHtml(v)}</dd>`)}</dl>`
        }</section>`
      : '';
  const next = view.nextCursor
    ? html`<a class="button" rel="next" href="${here({ cursor: view.nextCursor })}">Older changes</a>`
    : html`<span class="muted">First captured change reached</span>`;
  const body = html`<p><code>${view.table}</code> <code>${view.key}</code></p>
${asOf}
<div class="table-wrap"><table class="stack">
<caption class="muted">Newest first. A key change and a TRUNCATE of the table are part of the row's history.</caption>
<thead><tr><th scope="col">Captured at</th><th scope="col">Op</th><th scope="col">What changed</th><th scope="col">Actor</th><th scope="col">Why</th><th scope="col">Links</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="6">No captured change of this row (it predates capture, was never written, or retention purged its history).</td></tr>`}</tbody>
</table></div>
<nav class="actions" aria-label="Pages">${next}</nav>`;
  return layout(title, frame, body);
}
