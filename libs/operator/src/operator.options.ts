import { InvalidOptionsError, optionProblems } from '@threadline/core';
import type { Request } from 'express';
import { installedSwagger } from './openapi/swagger';
import {
  AUTHORIZE_NOT_A_FUNCTION,
  AUTHORIZE_REQUIRED,
  invalidCoverageRefresh,
  invalidExportStall,
  invalidMaxConcurrentExports,
  invalidPath,
  invalidSignInUrl,
  invalidTraceUrl,
  notBoolean,
  SWAGGER_MISSING,
} from './operator.messages';

/**
 * The operator surface: the audit routes and pages under `path`. Giving
 * `operator` mounts them; `authorize` is then required (boot error without it).
 *
 * @example operator: { path: '/audit', authorize: (req) => isAuditor(req) }
 */
export interface OperatorOptions {
  /** Where the pages and routes are mounted, below the app's global prefix; default '/audit'. */
  path?: string;
  /**
   * Decides per request; false or a throw answer 403 with no audit data (an
   * HTML page for browsers, JSON otherwise).
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /** How often the coverage page refreshes its counts, in seconds; default 30. */
  coverageRefreshSeconds?: number;
  /**
   * Serve the OpenAPI document of the JSON audit routes at `<path>/openapi.json` (behind `authorize`, like the
   * data), for generating API clients; default false (the route answers 404).
   */
  openApi?: boolean;
  /**
   * How many `/export` downloads may stream at once; default 2. Each holds a database connection while its
   * client reads, so keep it well below the pool size: one more answers 429 with Retry-After, and slow
   * readers can never take the connections the app's writes and /health need.
   */
  maxConcurrentExports?: number;
  /**
   * Seconds an export waits for a client that stopped reading before it closes the download and frees its slot
   * (with its connection and snapshot); default 60. A client reading slowly but steadily is never cut.
   */
  exportStallSeconds?: number;
  /**
   * Let a request switch the CSV formula guard off (`csvFormulas=verbatim`); default false, so any link an
   * auditor is sent gives a CSV a spreadsheet will not execute. Turn on for trusted machine consumers only.
   */
  allowVerbatimCsvFormulas?: boolean;
  /**
   * Where a browser signs in to reach the pages (your app's login route, e.g. '/login'); the 403 page links it.
   * Without it, the 403 page says to ask an administrator.
   */
  signInUrl?: string;
  /**
   * A link to your tracing UI for an audit transaction's OpenTelemetry trace: an http(s) URL holding `{traceId}`
   * (and, if it wants it, `{spanId}`), e.g. 'https://grafana.example.com/explore?traceId={traceId}'. The
   * transaction page then links the trace there; without it, the trace id links only to its timeline.
   */
  traceUrl?: string;
}

export interface ResolvedOperatorOptions {
  /** False when the app gave no `operator` options: the routes then answer 404. */
  mounted: boolean;
  /** The mount path, e.g. '/audit' (without the app's global prefix). */
  path: string;
  authorize?: (request: Request) => boolean | Promise<boolean>;
  coverageRefreshSeconds: number;
  openApi: boolean;
  maxConcurrentExports: number;
  exportStallSeconds: number;
  allowVerbatimCsvFormulas: boolean;
  signInUrl?: string;
  traceUrl?: string;
}

export const DEFAULT_OPERATOR_PATH = '/audit';
const KNOWN = [
  'path',
  'authorize',
  'coverageRefreshSeconds',
  'openApi',
  'maxConcurrentExports',
  'exportStallSeconds',
  'allowVerbatimCsvFormulas',
  'signInUrl',
  'traceUrl',
];
export const DEFAULT_MAX_CONCURRENT_EXPORTS = 2;
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * What is wrong with the `operator` slice, each problem naming its option
 * (`operator.path ...`). Mounted without `authorize` is a problem: audit
 * pages must never be open by omission, and a silent 403 everywhere would
 * look like a bug.
 */
export function operatorOptionsProblems(options: OperatorOptions | undefined): string[] {
  const problems = optionProblems('operator', options, KNOWN);
  if (options === undefined || problems.length) return problems;
  if (options.authorize === undefined) {
    problems.push(AUTHORIZE_REQUIRED);
  } else if (typeof options.authorize !== 'function') {
    problems.push(AUTHORIZE_NOT_A_FUNCTION);
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || !PATH.test(options.path))) {
    problems.push(invalidPath(options.path));
  }
  const refresh = options.coverageRefreshSeconds ?? 30;
  if (typeof refresh !== 'number' || !Number.isFinite(refresh) || refresh < 1 || refresh > 3600) {
    problems.push(invalidCoverageRefresh(options.coverageRefreshSeconds));
  }
  if (options.openApi !== undefined && typeof options.openApi !== 'boolean')
    problems.push(notBoolean('openApi', options.openApi));
  else if (options.openApi && !installedSwagger()) problems.push(SWAGGER_MISSING);
  const exports = options.maxConcurrentExports;
  if (
    exports !== undefined &&
    (typeof exports !== 'number' || !Number.isInteger(exports) || exports < 1 || exports > 1000)
  )
    problems.push(invalidMaxConcurrentExports(exports));
  const stall = options.exportStallSeconds;
  if (stall !== undefined && (typeof stall !== 'number' || !Number.isFinite(stall) || stall <= 0 || stall > 3600))
    problems.push(invalidExportStall(stall));
  if (options.allowVerbatimCsvFormulas !== undefined && typeof options.allowVerbatimCsvFormulas !== 'boolean')
    problems.push(notBoolean('allowVerbatimCsvFormulas', options.allowVerbatimCsvFormulas));
  if (
    options.signInUrl !== undefined &&
    (typeof options.signInUrl !== 'string' || !/^(\/(?!\/)|https?:\/\/)\S*$/.test(options.signInUrl))
  )
    problems.push(invalidSignInUrl(options.signInUrl));
  const trace = options.traceUrl;
  if (trace !== undefined && (typeof trace !== 'string' || !/^https?:\/\/\S*\{traceId\}\S*$/.test(trace)))
    problems.push(invalidTraceUrl(trace));
  return problems;
}

/** Checks the options (boot error listing every problem) and fills in the defaults. */
export function resolveOperatorOptions(options: OperatorOptions | undefined): ResolvedOperatorOptions {
  InvalidOptionsError.throwIfAny(operatorOptionsProblems(options));
  return {
    mounted: options !== undefined,
    path: options?.path ?? DEFAULT_OPERATOR_PATH,
    authorize: options?.authorize,
    coverageRefreshSeconds: options?.coverageRefreshSeconds ?? 30,
    openApi: options?.openApi ?? false,
    maxConcurrentExports: options?.maxConcurrentExports ?? DEFAULT_MAX_CONCURRENT_EXPORTS,
    exportStallSeconds: options?.exportStallSeconds ?? 60,
    allowVerbatimCsvFormulas: options?.allowVerbatimCsvFormulas ?? false,
    signInUrl: options?.signInUrl,
    traceUrl: options?.traceUrl,
  };
}
