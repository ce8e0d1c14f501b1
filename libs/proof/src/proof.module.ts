import { Module } from '@nestjs/common';
import { CheckpointCommand, ProofCommand, PublicKeyCommand, VerifyProofCommand } from './checkpoint.commands';
import { CheckpointService } from './checkpoint.service';
import { CompletenessService } from './completeness.service';
import { ProofService } from './proof.service';
import { VerifyIntegrityCommand } from './integrity.command';
import { IntegritySealer } from './integrity.sealer';
import { IntegrityService } from './integrity.service';
import { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
import { PROOF_MODULE_OPTIONS, ProofConfigurableModule } from './proof.module-definition';
import { ProofOptions, resolveProofPolicy } from './proof.options';

/**
 * Tamper evidence: the hash chain's sealer and verification, completeness, signed checkpoints and offline
 * proofs, and their commands (verify-integrity, checkpoint, public-key, proof, verify-proof).
 */
@Module({
  providers: [
    {
      provide: THREADLINE_INTEGRITY_POLICY,
      useFactory: (o: ProofOptions | undefined) => resolveProofPolicy(o),
      inject: [PROOF_MODULE_OPTIONS],
    },
    IntegrityService,
    CompletenessService,
    IntegritySealer,
    CheckpointService,
    ProofService,
    VerifyIntegrityCommand,
    CheckpointCommand,
    PublicKeyCommand,
    ProofCommand,
    VerifyProofCommand,
  ],
  exports: [THREADLINE_INTEGRITY_POLICY, IntegrityService, CompletenessService, CheckpointService, ProofService],
})
export class ThreadlineProofModule extends ProofConfigurableModule {}
