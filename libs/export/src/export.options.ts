import { InvalidOptionsError } from '@threadline/capture';
import type { Request } from 'express';

/** Who may use the audit routes (`/audit/...`). Without it every audit route answers 403. */
export interface OperatorOptions {
  /**
   * Decides per request; false, a throw or a missing function all answer 403
   * with no audit data. @example authorize: (req) => req.user?.roles.includes('auditor')
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
}

export interface ResolvedOperatorOptions {
  authorize?: (request: Request) => boolean | Promise<boolean>;
}

export function resolveOperatorOptions(options: OperatorOptions | undefined): ResolvedOperatorOptions {
  const unknown = Object.keys(options ?? {}).filter((k) => k !== 'authorize');
  const problems = unknown.map((k) => `operator.${k} is not a known option (allowed: authorize)`);
  if (options?.authorize !== undefined && typeof options.authorize !== 'function') problems.push('operator.authorize must be a function (request) => boolean');
  if (problems.length) throw new InvalidOptionsError(`Invalid Threadline options:\n  - ${problems.join('\n  - ')}`);
  return { authorize: options?.authorize };
}
