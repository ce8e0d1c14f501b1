import { Controller, Get, Param, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuditQueryService } from '@threadline/export';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { OperatorHeadersGuard } from './operator-headers.guard';
import { wantsHtml } from './negotiate';
import { OperatorExceptionFilter } from './operator-exception.filter';
import { OperatorPages } from './operator-pages.service';

/** The operator pages; coverage and redaction answer JSON to API clients (the coverage page polls its own URL). */
@Controller()
@UseGuards(OperatorHeadersGuard, ThreadlineAuthorizeGuard)
@UseFilters(OperatorExceptionFilter)
export class OperatorPagesController {
  constructor(
    private readonly pages: OperatorPages,
    private readonly queries: AuditQueryService,
  ) {}

  @Get('coverage')
  async coverage(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const report = await this.pages.coverageReport();
    if (!wantsHtml(req)) {
      if ('error' in report) res.status(503);
      return 'error' in report ? { statusCode: 503, message: `coverage could not be read: ${report.error}` } : report;
    }
    res.status('error' in report ? 503 : 200).type('html');
    return this.pages.coverage(report);
  }

  @Get('policy/redaction')
  async redaction(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const tables = await this.pages.redactionPolicy();
    if (!wantsHtml(req)) {
      if ('error' in tables) res.status(503);
      return 'error' in tables
        ? { statusCode: 503, message: `redaction policy could not be read: ${tables.error}` }
        : { tables };
    }
    res.status('error' in tables ? 503 : 200).type('html');
    return this.pages.redaction(tables);
  }

  /** The hash chain checked now: the page, or the IntegrityReport for API clients (503 when it could not run). */
  @Get('integrity')
  async integrity(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const report = await this.pages.integrityReport();
    if (!wantsHtml(req)) {
      if ('error' in report) res.status(503);
      return 'error' in report
        ? { statusCode: 503, message: `integrity could not be checked: ${report.error}` }
        : report;
    }
    res.status('error' in report ? 503 : 200).type('html');
    return this.pages.integrity(report);
  }

  @Get('transactions/:id')
  async transaction(@Param('id') id: string, @Res({ passthrough: true }) res: Response) {
    const changes = await this.queries.changesForTransaction(id); // a malformed id is a 400 (InvalidFilterError)
    res.type('html');
    return this.pages.transaction(id, changes);
  }
}
