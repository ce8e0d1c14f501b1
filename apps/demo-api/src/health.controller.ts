import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ThreadlineCoverageIndicator } from '@threadline/nestjs';

/** Terminus health: the database ping and Threadline's trigger coverage (503 when an expected table is unaudited). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly coverage: ThreadlineCoverageIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.db.pingCheck('database'), () => this.coverage.isHealthy()]);
  }
}
