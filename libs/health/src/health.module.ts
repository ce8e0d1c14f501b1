import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthCommand, HealthCoverageCommand, VerifyCoverageCommand } from './coverage.commands';
import { BaselineService } from './baseline.service';
import { BaselineCommand } from './baseline.command';
import { ContinuityCommand } from './continuity.command';
import { ContinuityService } from './continuity.service';
import { CoverageService } from './coverage.service';
import { THREADLINE_COVERAGE_POLICY } from './health.constants';
import { HEALTH_MODULE_OPTIONS, HealthConfigurableModule } from './health.module-definition';
import { HealthOptions, resolveCoveragePolicy } from './health.options';
import { PolicyCommand, PolicyShowCommand } from './policy.commands';
import { RedactionPolicyService } from './redaction-policy.service';
import { ThreadlineCoverageIndicator } from './threadline-coverage.health';
import { IntegrityService } from './integrity.service';
import { CompletenessService } from './completeness.service';
import { IntegritySealer } from './integrity.sealer';
import { VerifyIntegrityCommand } from './integrity.command';

/** Trigger coverage, the coverage policy, redaction drift, a Terminus indicator and their commands. */
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
    BaselineService,
    ContinuityCommand,
    BaselineCommand,
    RedactionPolicyService,
    ThreadlineCoverageIndicator,
    IntegrityService,
    CompletenessService,
    IntegritySealer,
    VerifyIntegrityCommand,
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
    BaselineService,
    RedactionPolicyService,
    ThreadlineCoverageIndicator,
    IntegrityService,
    CompletenessService,
  ],
})
export class ThreadlineHealthModule extends HealthConfigurableModule {}
