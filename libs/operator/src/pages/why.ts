import { AuditTransaction, TransactionActions } from '@threadline/query';
import { actionsNotShown } from '../operator.messages';
import { Html, html } from './html';
import { filterQuery, PageFrame } from './layout';

/**
 * Why a change was made, where an auditor reads the change: each action its
 * transaction recorded (name, reason), oldest first, and the request and
 * correlation it came from, the correlation linked to its timeline.
 */
export function whyHtml(frame: PageFrame, tx: AuditTransaction, recorded?: TransactionActions): Html {
  const more = recorded ? recorded.total - recorded.actions.length : 0;
  const parts: Html[] = [
    ...(recorded?.actions ?? []).map(
      (action) =>
        html`<strong>${action.name}</strong>${action.status === 'error' ? html` <span class="status-drift">failed</span>` : ''}${action.reason ? html`<br>${action.reason}` : ''}`,
    ),
    more > 0 ? html`<span class="muted">${actionsNotShown(more)}</span>` : null,
    tx.correlation_id
      ? html`<span class="muted">correlation</span> <a href="${frame.base}/timeline${filterQuery({ correlationId: tx.correlation_id })}">${tx.correlation_id}</a>`
      : null,
    tx.request_id ? html`<span class="muted">request</span> ${tx.request_id}` : null,
  ].filter((part): part is Html => part !== null);
  return parts.length
    ? html`${parts.map((part, i) => (i ? html`<br>${part}` : part))}`
    : html`<span class="muted">none recorded</span>`;
}
