import { AuditChange, changeDiff, TIMELINE_FILTERS } from '@threadline/query';
import { EXPORT_FORMATS } from '@threadline/export';
import { stringifyStoredJson } from '@threadline/core';
import { html } from './html';
import { actorLabel, filterParam, filterQuery, historyHref, layout, PageFrame, query } from './layout';
import { fieldChangesHtml } from './values';

export interface TimelineView {
  /** The filter parameters as given (`actor`, not `actorRef`), kept in the form and every link. */
  filters: Record<string, string | undefined>;
  changes: AuditChange[];
  nextCursor: string | null;
  /** The cursor of the previous (newer) page, when there is one. */
  previousCursor?: string | null;
  /** Images just before each update or delete, by change id (before values). */
  previous?: Map<string, Record<string, unknown> | null>;
  error?: string;
}

/** Quick ranges: `from` this long before now, the other filters kept. */
const QUICK_RANGES: [label: string, ms: number][] = [
  ['Last hour', 3_600_000],
  ['Last 24 hours', 86_400_000],
  ['Last 7 days', 7 * 86_400_000],
];

/** The timeline: the API's filter vocabulary as a GET form, keyset paging, export links with the same filters. */
export function timelinePage(frame: PageFrame, view: TimelineView): string {
  const filters = Object.fromEntries(TIMELINE_FILTERS.map(({ param }) => [param, view.filters[param]]));
  const form = html`<form class="filters" method="get" action="${frame.base}/timeline" aria-label="Filters">
${TIMELINE_FILTERS.map(({ param, label, example }) => html`<label>${label}<input name="${param}" value="${filters[param] ?? ''}" placeholder="${example}"></label>`)}
<div><button type="submit">Apply filters</button> <a href="${frame.base}/timeline">Clear</a></div>
</form>`;
  const exports = html`<div class="actions" aria-label="Export">${EXPORT_FORMATS.map(
    (format) =>
      html`<a class="button" href="${frame.base}/export${query({ ...filters, format })}" download>Export ${format.toUpperCase()}</a>`,
  )}</div>`;
  const ranges = html`<div class="actions" aria-label="Quick ranges">${QUICK_RANGES.map(
    ([label, ms]) =>
      html`<a href="${frame.base}/timeline${query({ ...filters, [filterParam('from')]: new Date(Date.now() - ms).toISOString(), [filterParam('to')]: undefined })}">${label}</a>`,
  )}</div>`;
  const rows = view.changes.map(
    (c) => html`<tr>
  <td data-label="Captured at"><time datetime="${c.captured_at}" title="${c.captured_at} (UTC)">${c.captured_at}</time></td>
  <td data-label="Table"><code>${c.table_schema}.${c.table_name}</code></td>
  <td data-label="Op">${c.op}</td>
  <td data-label="Key">${c.op === 'truncate' ? html`<span class="muted">whole table</span>` : html`<a href="${historyHref(frame, c)}"><code>${stringifyStoredJson(c.table_pk)}</code><span class="vh"> history</span></a>`}</td>
  <td data-label="What changed">${c.op === 'truncate' ? html`${Number(c.data_after?.rowCount ?? 0)} rows removed` : fieldChangesHtml(changeDiff(c, view.previous?.get(c.id)))}</td>
  <td data-label="Actor">${c.transaction.actor_ref ? html`<a href="${frame.base}/timeline${filterQuery({ actorRef: actorLabel(c.transaction.actor_ref) })}">${actorLabel(c.transaction.actor_ref)}</a>` : 'none'}</td>
  <td data-label="Correlation id">${c.transaction.correlation_id ? html`<a href="${frame.base}/timeline${filterQuery({ correlationId: c.transaction.correlation_id })}"><code>${c.transaction.correlation_id}</code></a>` : ''}</td>
  <td data-label="Transaction"><a href="${frame.base}/transactions/${c.transaction_id}">View transaction<span class="vh"> ${c.transaction_id}</span></a></td>
</tr>`,
  );
  const next = view.nextCursor
    ? html`<a class="button" rel="next" href="${frame.base}/timeline${query({ ...filters, cursor: view.nextCursor })}">Next page</a>`
    : html`<span class="muted">End of results</span>`;
  const previous = view.previousCursor
    ? html`<a class="button" rel="prev" href="${frame.base}/timeline${query({ ...filters, before: view.previousCursor })}">Previous page</a> <a href="${frame.base}/timeline${query(filters)}">Newest</a> `
    : '';
  const body = html`${form}${ranges}${exports}
<div class="table-wrap"><table class="stack">
<caption class="muted">Newest first. ${view.changes.length} change${view.changes.length === 1 ? '' : 's'} on this page.</caption>
<thead><tr><th scope="col">Captured at</th><th scope="col">Table</th><th scope="col">Op</th><th scope="col">Key</th><th scope="col">What changed</th><th scope="col">Actor</th><th scope="col">Correlation id</th><th scope="col">Transaction</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8">No changes match these filters.</td></tr>`}</tbody>
</table></div>
<nav class="actions" aria-label="Pages">${previous}${next}</nav>`;
  const status = view.error ? html`<div class="banner error" role="alert">${view.error}</div>` : undefined;
  return layout('Timeline', { ...frame, current: 'timeline' }, body, status);
}
