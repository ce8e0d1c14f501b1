import type { TableRedaction } from '@threadline/health';
import { html } from './html';
import { layout, PageFrame } from './layout';

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
  <td data-label="Status" class="status-${t.status}">${t.label}${t.differences.length ? html`<ul>${t.differences.map((d) => html`<li>${d}</li>`)}</ul>` : ''}${t.reason ? html`<p>${t.reason}</p>` : ''}</td>
  <td data-label="Masked (config)">${names(t.configured.mask)}</td><td data-label="Excluded (config)">${names(t.configured.exclude)}</td>
  <td data-label="Masked (deployed)">${t.deployed ? names(t.deployed.mask) : '—'}</td><td data-label="Excluded (deployed)">${t.deployed ? names(t.deployed.exclude) : '—'}</td>
  <td data-label="Placeholder"><code>${t.configured.maskPlaceholder}</code></td>
</tr>`,
  );
  const body = html`<p>For each configured table: does the deployed trigger redact what the configuration says? Column names and placeholder only, never a value.</p>
<div class="table-wrap"><table class="stack">
<caption class="muted">Masked columns keep their key with the placeholder; excluded columns are left out of the image.</caption>
<thead><tr><th scope="col">Table</th><th scope="col">Status</th><th scope="col">Masked (config)</th><th scope="col">Excluded (config)</th><th scope="col">Masked (deployed)</th><th scope="col">Excluded (deployed)</th><th scope="col">Placeholder</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7">No tables under capture.tables.</td></tr>`}</tbody>
</table></div>`;
  return layout('Redaction policy', { ...frame, current: 'redaction' }, body);
}
