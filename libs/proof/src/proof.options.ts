import { InvalidOptionsError, optionProblems } from '@threadline/core';
import { notSeconds } from './proof.messages';

/**
 * Tamper evidence's cadence (`health.integrity` in `ThreadlineModule.forRoot`,
 * which hands it to ThreadlineProofModule as `integrity`). The proof module
 * seals every `sealEverySeconds`; the Terminus indicator of
 * @threadline/health checks the chain at most every `checkEverySeconds`,
 * waits `waitSeconds` for a running check and makes only one check in
 * `fullEverySeconds` a full one (see HealthOptions.integrity).
 */
export interface IntegrityOptions {
  sealEverySeconds?: number;
  checkEverySeconds?: number;
  waitSeconds?: number;
  fullEverySeconds?: number;
}

export interface IntegrityPolicy {
  sealEverySeconds: number;
  checkEverySeconds: number;
  waitSeconds: number;
  fullEverySeconds: number;
}

/** `ThreadlineProofModule.forRoot(...)`. */
export interface ProofOptions {
  /** Seal committed audit transactions every `integrity.sealEverySeconds` (default 60; 0: only when a check runs). */
  integrity?: IntegrityOptions;
}

const KEYS = ['integrity'];
const INTEGRITY_KEYS = ['sealEverySeconds', 'checkEverySeconds', 'waitSeconds', 'fullEverySeconds'];

/** What is wrong with integrity options found at `path` (`health.integrity`), each problem naming its option. */
export function integrityOptionsProblems(path: string, options: IntegrityOptions | undefined): string[] {
  if (options === undefined) return [];
  const problems = optionProblems(path, options, INTEGRITY_KEYS);
  if (problems.length) return problems;
  for (const key of INTEGRITY_KEYS as (keyof IntegrityOptions)[]) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 86_400))
      problems.push(notSeconds(path, key, value));
  }
  return problems;
}

/** The integrity policy with its defaults; null when integrity is not set. */
export function resolveIntegrityPolicy(options: IntegrityOptions | undefined): IntegrityPolicy | null {
  return options
    ? {
        sealEverySeconds: options.sealEverySeconds ?? 60,
        checkEverySeconds: options.checkEverySeconds ?? 300,
        waitSeconds: options.waitSeconds ?? 5,
        fullEverySeconds: options.fullEverySeconds ?? 0,
      }
    : null;
}

/** What is wrong with ThreadlineProofModule's options, each problem naming its option (`proof.integrity...`). */
export function proofOptionsProblems(options: ProofOptions | undefined): string[] {
  const problems = optionProblems('proof', options, KEYS);
  if (problems.length) return problems;
  return integrityOptionsProblems('proof.integrity', options?.integrity);
}

/** Throws InvalidOptionsError listing every problem, or returns the integrity policy. */
export function resolveProofPolicy(options: ProofOptions | undefined): IntegrityPolicy | null {
  InvalidOptionsError.throwIfAny(proofOptionsProblems(options));
  return resolveIntegrityPolicy(options?.integrity);
}
