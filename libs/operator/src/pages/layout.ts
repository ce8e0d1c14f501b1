import type { CoverageReport } from '@threadline/health';
import { stringifyStoredJson } from '@threadline/core';
import { ROW_KEY_MAX_LENGTH, TIMELINE_FILTERS, type AuditChange, type TimelineFilterField } from '@threadline/query';
import { LOCAL_TIME_SCRIPT, STYLE } from './assets';
import { Html, html } from './html';

/** What the header badge shows: the number of uncovered tables and of tables whose capture drifted, or why it is unknown. */
export type BadgeState = { uncovered: number; drifted: number } | { error: string };

export interface PageFrame {
  /** The mount path, e.g. '/audit'. */
  base: string;
  badge: BadgeState;
  current?: 'coverage' | 'redaction' | 'timeline' | 'integrity' | 'holds';
  /** operator.traceUrl: the tracing UI's link template, `{traceId}` and `{spanId}` in it. */
  traceUrl?: string;
  /** The legal holds page is linked: the retention module is registered in the app. */
  holds?: boolean;
}

/** Tables that should be covered and are not: uncovered (expected or unclassified) or missing. */
export function uncoveredCount(report: CoverageReport): number {
  return report.uncoveredExpected.length + report.unclassified.length + report.missingExpected.length;
}

function badge(frame: PageFrame): Html {
  const href = `${frame.base}/coverage`;
  if ('error' in frame.badge)
    return html`<a class="badge warn" href="${href}" id="coverage-badge">Coverage unknown</a>`;
  const text = badgeText(frame.badge.uncovered, frame.badge.drifted);
  return html`<a class="badge ${text === 'All covered' ? 'ok' : 'warn'}" href="${href}" id="coverage-badge">${text}</a>`;
}

/** "All covered", "2 uncovered", "1 with capture drift" or both; the page script words it the same way. */
export function badgeText(uncovered: number, drifted: number): string {
  const parts = [
    ...(uncovered ? [`${uncovered} uncovered`] : []),
    ...(drifted ? [`${drifted} with capture drift`] : []),
  ];
  return parts.length ? parts.join(', ') : 'All covered';
}

/** Every page: skip link, header with the coverage badge and navigation, one main landmark. */
export function layout(title: string, frame: PageFrame, body: Html, status?: Html): string {
  const link = (key: PageFrame['current'], path: string, label: string) =>
    html`<li><a href="${frame.base}${path}"${frame.current === key ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Threadline audit</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <span class="brand">Threadline audit</span>
  <nav aria-label="Audit pages"><ul>
    ${link('coverage', '/coverage', 'Coverage')}
    ${link('redaction', '/policy/redaction', 'Redaction policy')}
    ${link('timeline', '/timeline', 'Timeline')}
    ${link('integrity', '/integrity', 'Integrity')}
    ${frame.holds ? link('holds', '/holds', 'Legal holds') : ''}
  </ul></nav>
  ${badge(frame)}
</header>
<main id="main">
${status ?? ''}
<h1>${title}</h1>
${body}
</main>
<script>${LOCAL_TIME_SCRIPT}</script>
</body>
</html>
`.value;
}

/** Errors for browsers (403, 400): says why, shows no audit data (no badge counts either). */
export function errorPage(title: string, message: string, hint: string | Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Threadline audit</title>
<style>${STYLE}</style></head>
<body><main id="main"><h1>${title}</h1><p>${message}</p><p class="muted">${hint}</p></main></body></html>
`.value;
}

/** A query string from the non-empty values, for links that keep the filters. */
export function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : '';
}

/**
 * A timeline or export link's query string from filter values named by their TimelineFilters key
 * (`actorRef`), each written as the parameter TIMELINE_FILTERS gives it (`actor`); `extra` as is.
 */
export function filterQuery(
  values: Partial<Record<TimelineFilterField['key'], string>>,
  extra: Record<string, string | undefined> = {},
): string {
  return query({
    ...Object.fromEntries(
      TIMELINE_FILTERS.filter((f) => values[f.key] !== undefined).map((f) => [f.param, values[f.key]]),
    ),
    ...extra,
  });
}

/** The query parameter of the filter with TimelineFilters key `key` (`actorRef` is `actor`). */
export function filterParam(key: TimelineFilterField['key']): string {
  return TIMELINE_FILTERS.find((f) => f.key === key)!.param;
}

export function actorLabel(actor: AuditChange['transaction']['actor_ref']): string {
  if (!actor) return 'none';
  return actor.id === undefined ? actor.type : `${actor.type}:${actor.id}`;
}

/**
 * A row's history page (`/history?table=schema.table&key={...}`): one row is the `table` and `key` timeline filters.
 * A key longer than the `key` filter takes is named by one of the row's changes instead (`change=<id>`).
 */
export function historyUrl(
  frame: PageFrame,
  table: string,
  key: string,
  extra: Record<string, string | undefined> = {},
  change?: string,
): string {
  const row = change && key.length > ROW_KEY_MAX_LENGTH ? { change } : { [filterParam('key')]: key };
  return `${frame.base}/history${query({ [filterParam('table')]: table, ...row, ...extra })}`;
}

/** The link to a row's history page: every key shown anywhere links there. */
export function historyHref(
  frame: PageFrame,
  change: Pick<AuditChange, 'id' | 'table_schema' | 'table_name' | 'table_pk'>,
): string {
  const table = `${change.table_schema}.${change.table_name}`;
  return historyUrl(frame, table, stringifyStoredJson(change.table_pk), {}, change.id);
}
