export * from './health.options';
export * from './health.constants';
export * from './coverage.service';
export * from './redaction-policy.service';
export { ThreadlineCoverageIndicator } from './threadline-coverage.health';
export { VerifyCoverageCommand, HealthCommand, HealthCoverageCommand } from './coverage.commands';
export { PolicyCommand, PolicyShowCommand } from './policy.commands';
export { ThreadlineHealthModule } from './health.module';
