import { ActorOptions, actorOptionsProblems } from '@threadline/actor';
import { CaptureOptions, captureOptionProblems } from '@threadline/capture';
import { CliOptions, cliOptionsProblems, InvalidOptionsError, useCliCommand } from '@threadline/core';
import { HealthOptions, healthOptionsProblems } from '@threadline/health';
import { OperatorOptions, operatorOptionsProblems } from '@threadline/operator';
import { RetentionOptions, retentionProblems } from '@threadline/retention';
import { OPTIONS_NOT_AN_OBJECT, unknownSlice } from './nestjs.messages';

/** Everything `ThreadlineModule.forRoot(...)` accepts; each key is one feature's slice. */
export interface ThreadlineModuleOptions {
  /** Audit schema, redaction per table, trigger generation. */
  capture?: CaptureOptions;
  /** Who is acting: `resolveActor(request)`, request/job context. */
  actor?: ActorOptions;
  /** The audit routes and pages: `{ path: '/audit', authorize(request), coverageRefreshSeconds }`; mounted only when given, and then `authorize` is required. */
  operator?: OperatorOptions;
  /** Coverage policy: expectedTables, expectedUncoveredTables, strict; and `integrity`, tamper evidence's cadence. */
  health?: HealthOptions;
  /** Retention policy: `keepDays` or `maxAgeSeconds`, `enabled`, batch sizes. */
  retention?: RetentionOptions;
  /** How this app runs its Threadline commands, named in messages: `{ command: 'node dist/cli.js' }` (the default). */
  cli?: CliOptions;
}

/** Each slice and the function that lists its problems, in the order they are reported. */
const SLICES: { [K in keyof Required<ThreadlineModuleOptions>]: (slice: ThreadlineModuleOptions[K]) => string[] } = {
  capture: captureOptionProblems,
  actor: actorOptionsProblems,
  retention: retentionProblems,
  health: healthOptionsProblems,
  operator: operatorOptionsProblems,
  cli: cliOptionsProblems,
};

/**
 * Checks every slice at once, so one boot shows every problem: keys that are
 * not a slice (a typo cannot silently disable a setting), then each slice's own.
 * Only checks: safe to call in a unit test (resolveThreadlineOptions also sets the CLI command).
 */
export function checkThreadlineOptions(options: ThreadlineModuleOptions): ThreadlineModuleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw InvalidOptionsError.of([OPTIONS_NOT_AN_OBJECT]);
  }
  const slices = Object.keys(SLICES) as (keyof ThreadlineModuleOptions)[];
  const unknown = Object.keys(options)
    .filter((key) => !(key in SLICES))
    .map((key) => unknownSlice(key, slices));
  InvalidOptionsError.throwIfAny([
    ...unknown,
    ...slices.flatMap((key) => (SLICES[key] as (slice: unknown) => string[])(options[key])),
  ]);
  return options;
}

/** The module's options provider: checks them, then sets the command that messages tell users to run. */
export function resolveThreadlineOptions(options: ThreadlineModuleOptions): ThreadlineModuleOptions {
  checkThreadlineOptions(options);
  useCliCommand(options.cli?.command);
  return options;
}
