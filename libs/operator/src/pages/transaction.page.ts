import { AuditAction, AuditChange, changeDiff, Page, TRACE_ID_PATTERN, TransactionActions } from '@threadline/query';
import { EXPORT_FORMATS, HTTP_EXPORT_MAX_ROWS } from '@threadline/export';
import { stringifyStoredJson } from '@threadline/core';
import { html, Html } from './html';
import { actorLabel, filterQuery, historyHref, layout, PageFrame, query } from './layout';
import { actionsNotShown } from '../operator.messages';
import { pageText } from './values';

/**
 * One transaction: who, when and why (its linked action), then a page of its
 * changes with their before/after diffs, keyset paged (an import of 100,000
 * rows is read a page at a time); `before` comes from `changed_from` when
 * stored, else from the row's previous captured image (`previous`, by change id).
 */
export function transactionPage(
  frame: PageFrame,
  id: string,
  page: Page<AuditChange>,
  previous: Map<string, Record<string, unknown> | null> = new Map(),
  /** The actions the transaction recorded, oldest first (the first ones), and how many in all. */
  recorded: TransactionActions = { actions: [], total: 0 },
  /** Whether a cursor chose this page (an empty one is then past the last change, not an unknown transaction). */
  paged = false,
): string {
  const changes = page.changes;
  if (changes.length === 0) {
    return layout(
      'Transaction',
      frame,
      paged
        ? html`<p>No changes on this page of transaction <code>${id}</code>: the cursor is past its last change. <a href="${frame.base}/transactions/${id}">First page</a></p>`
        : recorded.total
          ? html`<p>No captured changes for transaction <code>${id}</code>: its ${recorded.total === 1 ? 'action was' : 'actions were'} recorded without a write (or its changes were purged by retention).</p><dl>${whyItems(recorded)}</dl>`
          : html`<p>No captured changes for transaction <code>${id}</code> (unknown id, or purged by retention).</p>`,
    );
  }
  const tx = changes[0].transaction;
  const here = `${frame.base}/transactions/${id}`;
  const sections = changes.map((change) => {
    const diff = changeDiff(change, previous.get(change.id));
    const fields = Object.entries(diff.fields);
    return html`<section class="bucket" aria-label="${change.op} ${diff.table} ${stringifyStoredJson(change.table_pk)}">
<h2>${change.op} <code>${diff.table}</code> ${change.op === 'truncate' ? '' : html`<a href="${historyHref(frame, change)}" title="Record history"><code>${stringifyStoredJson(change.table_pk)}</code></a>`}</h2>
<p class="muted">Captured at <time datetime="${change.captured_at}">${change.captured_at}</time>${change.previous_pk ? html`; key changed from <code>${stringifyStoredJson(change.previous_pk)}</code>` : ''}${change.op === 'snapshot' ? '; baseline snapshot of a row that existed before capture' : ''}</p>
${
  fields.length
    ? html`<div class="table-wrap"><table class="stack values"><thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>${fields.map(
        ([name, f]) =>
          html`<tr><th scope="row">${name}</th><td data-label="Before">${f.before_omitted ? html`<span class="muted">not stored</span>` : html`<code>${pageText(f.before)}</code>${f.before_from_previous_image ? html` <span class="muted" title="from the row's previous captured change">(previous image)</span>` : ''}`}</td><td data-label="After"><code>${pageText(f.after)}</code></td></tr>`,
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
${tx.correlation_id ? html`<dt>Correlation id</dt><dd><a href="${frame.base}/timeline${filterQuery({ correlationId: tx.correlation_id })}">${tx.correlation_id}</a></dd>` : ''}
${tx.request_id ? html`<dt>Request id</dt><dd>${tx.request_id}</dd>` : ''}
${traceItem(frame, tx.meta)}
${tx.source ? html`<dt>Source</dt><dd>${tx.source}</dd>` : ''}
${whyItems(recorded)}
</dl>
<div class="actions" aria-label="Export">${EXPORT_FORMATS.map(
    (format) =>
      html`<a class="button" href="${frame.base}/export${filterQuery({ transactionId: id }, { format, maxRows: String(HTTP_EXPORT_MAX_ROWS) })}" download>Export ${format.toUpperCase()}</a>`,
  )}</div>
<p class="muted">Newest first. ${changes.length} change${changes.length === 1 ? '' : 's'} on this page.</p>
${sections}
<nav class="actions" aria-label="Pages">${
    page.previousCursor
      ? html`<a class="button" rel="prev" href="${here}${query({ before: page.previousCursor })}">Previous page</a> <a href="${here}">First page</a> `
      : ''
  }${page.nextCursor ? html`<a class="button" rel="next" href="${here}${query({ cursor: page.nextCursor })}">Next page</a>` : html`<span class="muted">End of changes</span>`}</nav>`;
  return layout(`Transaction`, frame, body);
}

/**
 * The transaction's OpenTelemetry trace (`meta.trace_id`, `meta.span_id`, schema v9), when it has one: the trace id
 * links to its changes on the timeline and, with operator.traceUrl, to the team's tracing UI.
 */
function traceItem(frame: PageFrame, meta: unknown): Html | '' {
  const { trace_id: traceId, span_id: span } = (meta ?? {}) as { trace_id?: unknown; span_id?: unknown };
  const spanId = typeof span === 'string' && /^[0-9a-f]{16}$/.test(span) ? span : '';
  if (typeof traceId !== 'string' || !TRACE_ID_PATTERN.test(traceId)) return '';
  const ui = frame.traceUrl?.replaceAll('{traceId}', traceId).replaceAll('{spanId}', spanId);
  return html`<dt>Trace</dt><dd><a href="${frame.base}/timeline${filterQuery({ traceId })}">${traceId}</a>${spanId ? html` <span class="muted">span ${spanId}</span>` : ''}${ui ? html` · <a href="${ui}" rel="noopener">open in tracing</a>` : ''}</dd>`;
}

/** The "Why" items of a transaction's description list: its actions, and how many more it recorded than are shown. */
function whyItems(recorded: TransactionActions): Html {
  const more = recorded.total - recorded.actions.length;
  return html`${recorded.actions.map(whyItem)}${more > 0 ? html`<dt>Why</dt><dd class="muted">${actionsNotShown(more)}</dd>` : ''}`;
}

/** The "Why" item of a transaction's description list: one action. */
function whyItem(action: AuditAction): Html {
  return html`<dt>Why</dt><dd><strong>${action.name}</strong>${action.verb || action.category ? html` <span class="muted">(${[action.verb, action.category].filter(Boolean).join(', ')})</span>` : ''}${action.status === 'error' ? html` <span class="status-drift">failed</span>` : ''}${action.reason ? html`<br>Reason: ${action.reason}` : ''}${action.comment ? html`<br>Comment: ${action.comment}` : ''}<br><span class="muted">recorded by ${actorLabel(action.actor_ref)} at <time datetime="${action.inserted_at}">${action.inserted_at}</time></span></dd>`;
}
