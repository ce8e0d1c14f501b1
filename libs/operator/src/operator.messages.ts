import { gotText } from '@threadline/core';
/**
 * The texts @threadline/operator returns, logs or answers a request with
 * (option problems, refusals, log lines), in one place; each says how to fix
 * the problem. Thrown errors are in operator.errors.ts.
 */

/** Option problems (`operator...`). */
export const AUTHORIZE_REQUIRED =
  'operator.authorize is required to mount the audit pages and routes: pass operator: { authorize: (request) => boolean } (for example, is the signed-in user an auditor?)';

export const AUTHORIZE_NOT_A_FUNCTION = 'operator.authorize must be a function (request) => boolean';

export function invalidPath(got: unknown): string {
  return `operator.path must be a URL path such as '/audit' (segments of letters, digits, . _ ~ -; no trailing slash) ${gotText(got)}`;
}

export function invalidCoverageRefresh(got: unknown): string {
  return `operator.coverageRefreshSeconds must be a number of seconds from 1 to 3600 ${gotText(got)}`;
}

export function notBoolean(option: string, got: unknown): string {
  return `operator.${option} must be true or false ${gotText(got)}`;
}

/** Why `operator.openApi: true` cannot work, and the fix. */
export const SWAGGER_MISSING =
  'operator.openApi needs the @nestjs/swagger package, which is not installed: npm install @nestjs/swagger (11 with NestJS 11, 12 with NestJS 12), or leave openApi off';

export function invalidMaxConcurrentExports(got: unknown): string {
  return `operator.maxConcurrentExports must be a whole number from 1 to 1000, well below the database pool size ${gotText(got)}`;
}

export function invalidExportStall(got: unknown): string {
  return `operator.exportStallSeconds must be a number of seconds above 0 and at most 3600 ${gotText(got)}`;
}

export function invalidSignInUrl(got: unknown): string {
  return `operator.signInUrl must be a path on this app ('/login') or an http(s) URL ${gotText(got)}`;
}

export function invalidTraceUrl(got: unknown): string {
  return `operator.traceUrl must be an http(s) URL holding {traceId} (and, if it wants it, {spanId}), e.g. 'https://grafana.example.com/explore?traceId={traceId}' ${gotText(got)}`;
}

/** Refusals the routes answer with. */
export const ROUTES_CLOSED = 'audit routes are closed: configure operator.authorize to open them';

export const NOT_AUTHORIZED = 'not authorized for audit routes';

export const OPENAPI_OFF = 'the OpenAPI document is off: set operator.openApi: true to serve it';

export function exportsBusy(max: number): string {
  return `${max} export${max === 1 ? ' is' : 's are'} streaming already (operator.maxConcurrentExports); try again in a few seconds`;
}

/** Log lines. */
export function authorizeThrew(error: unknown): string {
  return `operator.authorize threw; denying: ${error instanceof Error ? error.message : String(error)}`;
}

export function couldNotRead(what: string, message: string): string {
  return `${what} could not be read: ${message}`;
}

/** A report route's 503 body (JSON) when its report could not be read. */
export const unreadableReport = {
  coverage: (error: string) => `coverage could not be read: ${error}`,
  redaction: (error: string) => `redaction policy could not be read: ${error}`,
  integrity: (error: string) => `integrity could not be checked: ${error}`,
  holds: (error: string) => `legal holds could not be read: ${error}`,
};

/** The holds page without LegalHoldService (ThreadlineOperatorModule registered without the retention module). */
export const NO_RETENTION_MODULE =
  'the retention module is not registered in this app (ThreadlineModule.forRoot registers it; with the modules one by one, import ThreadlineRetentionModule)';

/** A transaction recorded more actions than a page shows. */
export function actionsNotShown(more: number): string {
  return `and ${more} more action${more === 1 ? '' : 's'} recorded in this transaction (not shown)`;
}

/** A page cut a value too long to show. */
export function valueCut(characters: number): string {
  return `${characters} more characters not shown here: the JSON route and the exports hold the whole value`;
}
