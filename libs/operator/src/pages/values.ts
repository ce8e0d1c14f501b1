import type { ChangeDiff } from '@threadline/query';
import { stringifyStoredJson } from '@threadline/core';
import { Html, html } from './html';
import { valueCut } from '../operator.messages';

/** Values longer than this show their start, with the whole value one click away (no script needed). */
const SHOWN = 60;

/**
 * The most characters of one value a page shows; past it the value is cut, saying so (the JSON routes and exports
 * hold it whole). One stored value of tens of millions of escaped characters made a page outgrow V8's largest
 * string and left the process hung.
 */
export const PAGE_VALUE_CHARS = 100_000;

/** A value's JSON text for a page (undefined: nothing), cut at PAGE_VALUE_CHARS with a note of what was left out. */
export function pageText(value: unknown, text = value === undefined ? '' : stringifyStoredJson(value)): Html {
  if (text.length <= PAGE_VALUE_CHARS) return html`${text}`;
  return html`${text.slice(0, PAGE_VALUE_CHARS)}<span class="muted">… ${valueCut(text.length - PAGE_VALUE_CHARS)}</span>`;
}

/** One value as JSON text, truncated with a <details> to expand. */
export function valueHtml(value: unknown): Html {
  const text = value === undefined ? '' : stringifyStoredJson(value);
  if (text.length <= SHOWN) return html`<code>${text}</code>`;
  return html`<details class="value"><summary><code>${text.slice(0, SHOWN)}</code>…</summary><code>${pageText(value, text)}</code></details>`;
}

/** What a change did, field by field: `field: before -> after` (or only after / before), as a list. */
export function fieldChangesHtml(diff: ChangeDiff): Html {
  const entries = Object.entries(diff.fields);
  if (!entries.length) return html``;
  return html`<ul class="fields">${entries.map(
    ([name, f]) =>
      html`<li><span class="field">${name}</span>: ${
        'before' in f || f.before_omitted
          ? html`${f.before_omitted ? html`<span class="muted">not stored</span>` : valueHtml(f.before)}${'after' in f ? html` → ${valueHtml(f.after)}` : ''}`
          : valueHtml(f.after)
      }</li>`,
  )}</ul>`;
}
