import { InvalidOptionsError } from '@threadline/capture';

/** `ThreadlineModule.forRoot({ retention })`: how long audit changes are kept. */
export interface RetentionOptions {
  /** Keep changes this many days (exactly one of keepDays / maxAgeSeconds). */
  keepDays?: number;
  /** Keep changes this many seconds (exactly one of keepDays / maxAgeSeconds). */
  maxAgeSeconds?: number;
  /** Destructive purges refuse to run unless true. @default false */
  enabled?: boolean;
  /** Remove audit_transactions left without changes. @default true */
  deleteEmptyTransactions?: boolean;
  /** Changes deleted per batch. @default 500 */
  batchSize?: number;
  /** Upper bound of batches per purge run. @default 10000 */
  maxBatches?: number;
}

export interface RetentionPolicy {
  windowSeconds: number;
  keepDays?: number;
  maxAgeSeconds?: number;
  enabled: boolean;
  deleteEmptyTransactions: boolean;
  batchSize: number;
  maxBatches: number;
}

const KEYS = ['keepDays', 'maxAgeSeconds', 'enabled', 'deleteEmptyTransactions', 'batchSize', 'maxBatches'];
const isPositiveInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Problems with a retention policy, each starting with `retention:` and saying what is allowed. */
export function retentionProblems(options: RetentionOptions | undefined): string[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return ['retention: must be an object such as { keepDays: 90, enabled: true }'];
  const problems = Object.keys(options)
    .filter((k) => !KEYS.includes(k))
    .map((k) => `retention: ${k} is not a known option (allowed: ${KEYS.join(', ')})`);
  const hasDays = options.keepDays !== undefined;
  const hasSeconds = options.maxAgeSeconds !== undefined;
  if (hasDays === hasSeconds) problems.push('retention: set exactly one of keepDays or maxAgeSeconds (a positive integer)');
  for (const key of ['keepDays', 'maxAgeSeconds', 'batchSize', 'maxBatches'] as const) {
    if (options[key] !== undefined && !isPositiveInteger(options[key])) {
      problems.push(`retention: ${key} must be a positive integer (got ${JSON.stringify(options[key])})`);
    }
  }
  for (const key of ['enabled', 'deleteEmptyTransactions'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      problems.push(`retention: ${key} must be true or false (got ${JSON.stringify(options[key])})`);
    }
  }
  return problems;
}

/** Validated policy with defaults, or undefined when retention is not configured. */
export function resolveRetentionPolicy(options: RetentionOptions | undefined): RetentionPolicy | undefined {
  const problems = retentionProblems(options);
  if (problems.length > 0) throw new InvalidOptionsError(`Invalid Threadline options:\n  - ${problems.join('\n  - ')}`);
  if (!options) return undefined;
  return {
    windowSeconds: options.keepDays !== undefined ? options.keepDays * 86_400 : options.maxAgeSeconds!,
    keepDays: options.keepDays,
    maxAgeSeconds: options.maxAgeSeconds,
    enabled: options.enabled ?? false,
    deleteEmptyTransactions: options.deleteEmptyTransactions ?? true,
    batchSize: options.batchSize ?? 500,
    maxBatches: options.maxBatches ?? 10_000,
  };
}
