// @threadline/proof: tamper evidence. Sealing audit transactions into a hash chain, verifying it, and
// completeness (does the audit log end where each row is now?). The verify-integrity command comes with
// ThreadlineProofModule.
export type { ProofOptions, IntegrityOptions, IntegrityPolicy } from './proof.options';
export * from './proof.errors';
export { ThreadlineProofModule } from './proof.module';
export * from './integrity.service';
export * from './completeness.service';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { integrityOptionsProblems, proofOptionsProblems, resolveIntegrityPolicy } from './proof.options';
export { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
