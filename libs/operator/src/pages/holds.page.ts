import type { LegalHold } from '@threadline/retention';
import { Html, html } from './html';
import { layout, PageFrame } from './layout';

/**
 * What a hold covers: its filters as `name=value` (a value that is not text, from a hand edit, as its JSON), and a
 * link to the timeline they select when every value is text (a hold that is not stops every purge: no link).
 */
function covers(frame: PageFrame, hold: LegalHold): Html {
  const entries = Object.entries(hold.filters as Record<string, unknown>);
  const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const list = html`<ul class="fields">${entries.map(([k, v]) => html`<li><code>${k}=${shown(v)}</code></li>`)}</ul>`;
  if (!entries.every(([, v]) => typeof v === 'string')) return list;
  const query = new URLSearchParams(hold.filters).toString();
  return html`${list}
<a href="${frame.base}/timeline?${query}">Changes it covers<span class="vh"> (hold ${hold.id})</span></a>`;
}

const at = (time: string) => html`<time datetime="${time}" title="${time} (UTC)">${time}</time>`;

function holdsTable(frame: PageFrame, holds: LegalHold[], released: boolean): Html {
  const head = released
    ? html`<th scope="col">Released</th><th scope="col">Released by</th><th scope="col">Why released</th>`
    : '';
  const rows = holds.map(
    (h) => html`<tr>
  <th scope="row">${h.id}</th>
  <td data-label="Covers">${covers(frame, h)}</td>
  <td data-label="Reason">${h.reason}</td>
  <td data-label="Set by">${h.heldBy} <span class="muted">(role ${h.heldByRole})</span></td>
  <td data-label="Set">${at(h.heldAt)}</td>
  ${h.released ? html`<td data-label="Released">${at(h.released.at)}</td><td data-label="Released by">${h.released.by} <span class="muted">(role ${h.released.role})</span></td><td data-label="Why released">${h.released.reason}</td>` : ''}
</tr>`,
  );
  const columns = released ? 8 : 5;
  return html`<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Hold</th><th scope="col">Covers</th><th scope="col">Reason</th><th scope="col">Set by</th><th scope="col">Set</th>${head}</tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="${columns}">None.</td></tr>`}</tbody>
</table></div>`;
}

/** The legal holds: in force, then released (a release keeps the hold's record). */
export function holdsPage(frame: PageFrame, holds: LegalHold[] | { error: string }): string {
  const here = { ...frame, current: 'holds' as const };
  if ('error' in holds)
    return layout(
      'Legal holds',
      here,
      html``,
      html`<div class="banner error" role="alert">Legal holds could not be read: ${holds.error}</div>`,
    );
  const inForce = holds.filter((h) => !h.released);
  const released = holds.filter((h) => h.released);
  const body = html`<p>No retention purge deletes a change that a hold in force covers. The audit tables' owner sets holds with <code>retention hold</code> and ends them with <code>retention release-hold</code>; a released hold keeps its record here.</p>
<h2 id="in-force">In force (<span data-count="in-force">${inForce.length}</span>)</h2>
${holdsTable(frame, inForce, false)}
<h2 id="released">Released (<span data-count="released">${released.length}</span>)</h2>
${holdsTable(frame, released, true)}`;
  return layout('Legal holds', here, body);
}
