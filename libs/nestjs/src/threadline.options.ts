import { CaptureOptions } from '@threadline/capture';
import { InvalidOptionsError } from '@threadline/core';
import { ActorOptions } from '@threadline/actor';
import { OperatorOptions } from '@threadline/export';
import { HealthOptions } from '@threadline/health';
import { RetentionOptions } from '@threadline/retention';

/** Everything `ThreadlineModule.forRoot(...)` accepts; each key is one feature's slice. */
export interface ThreadlineModuleOptions {
  /** Audit schema, redaction per table, trigger generation. */
  capture?: CaptureOptions;
  /** Who is acting: `resolveActor(request)`, request/job context. */
  actor?: ActorOptions;
  /** The audit routes and pages: `{ path: '/audit', authorize(request), coverageRefreshSeconds }`; mounted only when given, and then `authorize` is required. */
  operator?: OperatorOptions;
  /** Coverage policy: expectedTables, expectedUncoveredTables, strict. */
  health?: HealthOptions;
  /** Retention policy: `keepDays` or `maxAgeSeconds`, `enabled`, batch sizes. */
  retention?: RetentionOptions;
}

const SLICES: (keyof ThreadlineModuleOptions)[] = ['capture', 'actor', 'retention', 'health', 'operator'];

/** Rejects keys that are not a feature slice, so a typo cannot silently disable a setting. */
export function checkThreadlineOptions(options: ThreadlineModuleOptions): ThreadlineModuleOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError(
      'Invalid Threadline options: ThreadlineModule.forRoot expects an object such as { capture: { tables: { ... } } }',
    );
  }
  const unknown = Object.keys(options).filter((k) => !SLICES.includes(k as keyof ThreadlineModuleOptions));
  if (unknown.length > 0) {
    throw new InvalidOptionsError(
      `Invalid Threadline options:\n  - ${unknown.map((k) => `${k} is not a known option (allowed: ${SLICES.join(', ')})`).join('\n  - ')}`,
    );
  }
  return options;
}
