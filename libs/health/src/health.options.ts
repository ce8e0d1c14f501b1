import { parseTableName } from '@threadline/capture';
import { InvalidOptionsError, optionProblems } from '@threadline/core';
import { IntegrityOptions, integrityOptionsProblems, IntegrityPolicy, resolveIntegrityPolicy } from '@threadline/proof';
import { bothExpectedAndUncovered, notATableList, STRICT_NOT_A_BOOLEAN } from './health.messages';

/** `ThreadlineModule.forRoot({ health })`: the coverage policy. */
export interface HealthOptions {
  /** Schemas whose tables are checked. @default ['public'] */
  schemas?: string[];
  /** Tables that must be audited (`table` or `schema.table`); health is down and verify-coverage fails when one is not. */
  expectedTables?: string[];
  /** Tables meant to stay unaudited (job queues, vendor tables). */
  expectedUncoveredTables?: string[];
  /** Also fail on uncovered tables that are in neither list ("unclassified"). @default false */
  strict?: boolean;
  /**
   * Tamper evidence (README "Trust"): seal committed audit transactions every
   * `sealEverySeconds` (default 60; 0: only when a check runs), and make the
   * Terminus indicator verify the hash chain too, at most every
   * `checkEverySeconds` (default 300; the last result is reused in between).
   * A probe waits for a check still running at most `waitSeconds` (default
   * 5), then answers with the last finished result, so `/health` stays
   * within its own timeout however long a check takes. With
   * `fullEverySeconds` above 0, only one check in that many seconds
   * recomputes every seal; those in between check that the chain still has
   * the head the last passing check saw (kept in this process, outside the
   * database) and recompute only what was sealed since (default 0: every
   * check is full).
   * @example { integrity: { sealEverySeconds: 30 } }
   */
  integrity?: IntegrityOptions;
}

export interface TableName {
  schema: string;
  table: string;
}

export interface CoveragePolicy {
  schemas: string[];
  expectedTables: TableName[];
  expectedUncoveredTables: TableName[];
  strict: boolean;
  /** Null when `health.integrity` is not set. */
  integrity: IntegrityPolicy | null;
}

const KEYS = ['schemas', 'expectedTables', 'expectedUncoveredTables', 'strict', 'integrity'];
const isNameList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.trim() !== '');

export const tableKey = (t: TableName) => `${t.schema}.${t.table}`;

/** What is wrong with the policy's shape, each problem naming its option (the catalog check happens at boot, in CoverageService). */
export function healthOptionsProblems(options: HealthOptions | undefined): string[] {
  const problems = optionProblems('health', options, KEYS);
  if (problems.length) return problems;
  const o = options ?? {};
  for (const key of ['schemas', 'expectedTables', 'expectedUncoveredTables'] as const) {
    if (o[key] !== undefined && !isNameList(o[key])) problems.push(notATableList(key, o[key]));
  }
  if (o.strict !== undefined && typeof o.strict !== 'boolean') problems.push(STRICT_NOT_A_BOOLEAN);
  problems.push(...integrityOptionsProblems('health.integrity', o.integrity));
  const { expected, uncovered } = tableLists(o);
  const both = expected.filter((e) => uncovered.some((u) => tableKey(u) === tableKey(e))).map(tableKey);
  if (both.length) problems.push(bothExpectedAndUncovered(both));
  return problems;
}

function tableLists(o: HealthOptions): { expected: TableName[]; uncovered: TableName[] } {
  return {
    expected: isNameList(o.expectedTables) ? o.expectedTables!.map(parseTableName) : [],
    uncovered: isNameList(o.expectedUncoveredTables) ? o.expectedUncoveredTables!.map(parseTableName) : [],
  };
}

export function resolveCoveragePolicy(options: HealthOptions | undefined): CoveragePolicy {
  InvalidOptionsError.throwIfAny(healthOptionsProblems(options));
  const o = options ?? {};
  const { expected, uncovered } = tableLists(o);
  return {
    schemas: o.schemas ?? ['public'],
    expectedTables: expected,
    expectedUncoveredTables: uncovered,
    strict: o.strict ?? false,
    integrity: resolveIntegrityPolicy(o.integrity),
  };
}
