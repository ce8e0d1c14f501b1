import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthCommand, HealthCoverageCommand, VerifyCoverageCommand } from './coverage.commands';
import { ContinuityCommand } from './continuity.command';
import { ContinuityService } from './continuity.service';
import { CoverageService } from './coverage.service';
import { THREADLINE_COVERAGE_POLICY } from './health.constants';
import { HEALTH_MODULE_OPTIONS, HealthConfigurableModule } from './health.module-definition';
import { HealthOptions, resolveCoveragePolicy } from './health.options';
import { PolicyCommand, PolicyShowCommand } from './policy.commands';
import { RedactionPolicyService } from './redaction-policy.service';
import { ThreadlineCoverageIndicator } from './threadline-coverage.health';

/**
 * Trigger coverage, the coverage policy, redaction drift and continuity, a Terminus indicator and
 * their commands. The indicator verifies the hash chain with @threadline/proof's IntegrityService: register
 * ThreadlineProofModule too (ThreadlineModule does).
 */
@Module({
  imports: [TerminusModule],
  providers: [
    {
      provide: THREADLINE_COVERAGE_POLICY,
      useFactory: (o: HealthOptions | undefined) => resolveCoveragePolicy(o),
      inject: [HEALTH_MODULE_OPTIONS],
    },
    CoverageService,
    ContinuityService,
    ContinuityCommand,
    RedactionPolicyService,
    ThreadlineCoverageIndicator,
    VerifyCoverageCommand,
    HealthCommand,
    HealthCoverageCommand,
    PolicyCommand,
    PolicyShowCommand,
  ],
  exports: [
    THREADLINE_COVERAGE_POLICY,
    CoverageService,
    ContinuityService,
    RedactionPolicyService,
    ThreadlineCoverageIndicator,
  ],
})
export class ThreadlineHealthModule extends HealthConfigurableModule {}
