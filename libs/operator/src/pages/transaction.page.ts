import { AuditChange, changeDiff } from '@threadline/export';
import { html } from './html';
import { actorLabel, layout, PageFrame, query } from './layout';

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
    : html`<p class="muted">${
        change.op === 'delete'
          ? 'Row deleted (no image after a delete).'
          : change.op === 'truncate'
            ? `Table truncated: every row removed (${Number(change.data_after?.rowCount ?? 0)} rows).`
            : 'No field changed.'
      }</p>`
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
