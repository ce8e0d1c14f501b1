import { InvalidOptionsError } from '@threadline/core';
import type { Request } from 'express';

/**
 * The operator surface: the audit routes and pages under `path`. Giving
 * `operator` mounts them; `authorize` is then required (boot error without it).
 *
 * @example operator: { path: '/audit', authorize: (req) => req.user?.roles.includes('auditor') }
 */
export interface OperatorOptions {
  /** Where the pages and routes are mounted; default '/audit'. */
  path?: string;
  /**
   * Decides per request; false or a throw answer 403 with no audit data (an
   * HTML page for browsers, JSON otherwise).
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /** How often the coverage page refreshes its counts, in seconds; default 30. */
  coverageRefreshSeconds?: number;
}

export interface ResolvedOperatorOptions {
  /** The mount path, or false when the routes are not mounted. */
  path: string | false;
  authorize?: (request: Request) => boolean | Promise<boolean>;
  coverageRefreshSeconds: number;
}

export const DEFAULT_OPERATOR_PATH = '/audit';
const KNOWN = ['path', 'authorize', 'coverageRefreshSeconds'];
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/** Problems with an operator path, for boot errors (the path is fixed before the options factory runs). */
export function operatorPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || !PATH.test(path)) {
    return `operator.path must be a URL path such as '/audit' (segments of letters, digits, . _ ~ -; no trailing slash) (got ${JSON.stringify(path)})`;
  }
  return undefined;
}

/**
 * Checks the operator options against where the routes are mounted. Mounted
 * without `authorize` is a boot error: audit pages must never be open by
 * omission, and a silent 403 everywhere would look like a bug.
 */
export function resolveOperatorOptions(
  options: OperatorOptions | undefined,
  mountedAt: string | false,
): ResolvedOperatorOptions {
  const problems = Object.keys(options ?? {})
    .filter((k) => !KNOWN.includes(k))
    .map((k) => `operator.${k} is not a known option (allowed: ${KNOWN.join(', ')})`);
  if (options?.authorize !== undefined && typeof options.authorize !== 'function')
    problems.push('operator.authorize must be a function (request) => boolean');
  if (mountedAt !== false && options?.authorize === undefined) {
    problems.push(
      `operator.authorize is required to mount the audit pages and routes at ${mountedAt}: pass operator: { authorize: (request) => boolean } (for example, is the signed-in user an auditor?)`,
    );
  }
  if (options?.path !== undefined) {
    const problem = operatorPathProblem(options.path);
    if (problem) problems.push(problem);
    else if (options.path !== mountedAt) {
      problems.push(
        `operator.path is ${options.path} but the routes are mounted at ${mountedAt === false ? 'nowhere' : mountedAt}: with forRootAsync the path is fixed before useFactory runs, so pass operatorPath: '${options.path}' next to useFactory`,
      );
    }
  }
  const refresh = options?.coverageRefreshSeconds ?? 30;
  if (typeof refresh !== 'number' || !Number.isFinite(refresh) || refresh < 1 || refresh > 3600) {
    problems.push(
      `operator.coverageRefreshSeconds must be a number of seconds from 1 to 3600 (got ${JSON.stringify(options?.coverageRefreshSeconds)})`,
    );
  }
  if (problems.length) throw new InvalidOptionsError(`Invalid Threadline options:\n  - ${problems.join('\n  - ')}`);
  return { path: mountedAt, authorize: options?.authorize, coverageRefreshSeconds: refresh };
}
