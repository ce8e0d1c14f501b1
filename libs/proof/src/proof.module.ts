import { Module } from '@nestjs/common';
import { CompletenessService } from './completeness.service';
import { VerifyIntegrityCommand } from './integrity.command';
import { IntegritySealer } from './integrity.sealer';
import { IntegrityService } from './integrity.service';
import { THREADLINE_INTEGRITY_POLICY } from './proof.constants';
import { PROOF_MODULE_OPTIONS, ProofConfigurableModule } from './proof.module-definition';
import { ProofOptions, resolveProofPolicy } from './proof.options';

/** Tamper evidence: the hash chain's sealer and verification, completeness, and the verify-integrity command. */
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
    VerifyIntegrityCommand,
  ],
  exports: [THREADLINE_INTEGRITY_POLICY, IntegrityService, CompletenessService],
})
export class ThreadlineProofModule extends ProofConfigurableModule {}
