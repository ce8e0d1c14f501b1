// @threadline/proof: tamper evidence. Sealing audit transactions into a hash chain and a Merkle tree,
// verifying them, signed checkpoints kept outside the database, offline proofs, and completeness (does the
// audit log end where each row is now?). The commands come with ThreadlineProofModule.
export type {
  ProofOptions,
  IntegrityOptions,
  IntegrityPolicy,
  CheckpointOptions,
  CheckpointSink,
  SignedCheckpoint,
} from './proof.options';
export * from './proof.errors';
export { ThreadlineProofModule } from './proof.module';
export * from './integrity.service';
export * from './completeness.service';
export { CheckpointService } from './checkpoint.service';
export type { CheckpointStatus, KeptCheckpointsView } from './checkpoint.types';
export { ProofService, type ProofTarget } from './proof.service';
export { verifyProof, verifyProofText, PROOF_FORMAT, type ProofFile, type ProofCheck } from './proof-file';
export { readVerifier, verifierKey, type NoteVerifier } from './signed-note';
export { readKeptCheckpoints, readExportCheckpoint, type ReadCheckpoint } from './checkpoint-store';
export type { KeptCheckpoint } from './checkpoint-check';

// Internal: for the other @threadline packages and the tests. Not part of the public API
// (@threadline/nestjs re-exports none of it); any release may change it.
export { integrityOptionsProblems, proofOptionsProblems, resolveIntegrityPolicy } from './proof.options';
export { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
export * as merkle from './merkle';
export { SealTree } from './seal-tree';
