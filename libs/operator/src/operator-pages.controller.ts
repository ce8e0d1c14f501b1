import { Controller, Get, Param, Query, Req, Res, UseFilters, UseGuards, ValidationPipe } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from './openapi/swagger';
import { AuditQueryService } from '@threadline/query';
import { PageQueryDto } from './audit-query.dto';
import { ErrorSchema } from './openapi/audit-responses.dto';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { OperatorHeadersGuard } from './operator-headers.guard';
import { HttpPlatform, wantsHtml } from './http-platform';
import { OperatorExceptionFilter } from './operator-exception.filter';
import { OperatorPages } from './operator-pages.service';
import { unreadableReport } from './operator.messages';

/** A report's JSON (see the health lib's types for its fields). */
const REPORT = { type: 'object', additionalProperties: true } as const;

/** Changes on one page of the transaction page. */
const TRANSACTION_PAGE_SIZE = 100;

/** The operator pages; coverage and redaction answer JSON to API clients (the coverage page polls its own URL). */
@Controller()
@ApiTags('audit')
@ApiForbiddenResponse({ type: ErrorSchema, description: 'operator.authorize said no' })
@ApiServiceUnavailableResponse({ description: 'the report could not be read; message says why' })
@UseGuards(OperatorHeadersGuard, ThreadlineAuthorizeGuard)
@UseFilters(OperatorExceptionFilter)
export class OperatorPagesController {
  constructor(
    private readonly pages: OperatorPages,
    private readonly queries: AuditQueryService,
    private readonly http: HttpPlatform,
  ) {}

  @Get('coverage')
  @ApiOperation({ summary: 'Which tables are captured, uncovered or drifted (CoverageReport)' })
  @ApiOkResponse({ schema: REPORT })
  async coverage(@Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    const report = await this.pages.coverageReport();
    if (!wantsHtml(req)) {
      if ('error' in report) this.http.status(res, 503);
      return 'error' in report ? { statusCode: 503, message: unreadableReport.coverage(report.error) } : report;
    }
    this.http.html(res, 'error' in report ? 503 : 200);
    return this.pages.coverage(report);
  }

  @Get('policy/redaction')
  @ApiOperation({ summary: 'Per configured table: does the deployed capture redact what the config says' })
  @ApiOkResponse({ schema: REPORT })
  async redaction(@Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    const tables = await this.pages.redactionPolicy();
    if (!wantsHtml(req)) {
      if ('error' in tables) this.http.status(res, 503);
      return 'error' in tables ? { statusCode: 503, message: unreadableReport.redaction(tables.error) } : { tables };
    }
    this.http.html(res, 'error' in tables ? 503 : 200);
    return this.pages.redaction(tables);
  }

  /** The hash chain checked now: the page, or the IntegrityReport for API clients (503 when it could not run). */
  @Get('integrity')
  @ApiOperation({ summary: 'The hash chain sealed and verified now (IntegrityReport)' })
  @ApiOkResponse({ schema: REPORT })
  async integrity(@Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    const report = await this.pages.integrityReport();
    if (!wantsHtml(req)) {
      if ('error' in report) this.http.status(res, 503);
      return 'error' in report ? { statusCode: 503, message: unreadableReport.integrity(report.error) } : report;
    }
    this.http.html(res, 'error' in report ? 503 : 200);
    return this.pages.integrity(report);
  }

  /** The legal holds, in force and released: the page, or `{ holds }` for API clients (503 when unreadable). */
  @Get('holds')
  @ApiOperation({ summary: 'Legal holds in force and released (what retention purges keep)' })
  @ApiOkResponse({ schema: REPORT })
  async holds(@Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    const holds = await this.pages.holdsList();
    if (!wantsHtml(req)) {
      if ('error' in holds) this.http.status(res, 503);
      return 'error' in holds ? { statusCode: 503, message: unreadableReport.holds(holds.error) } : { holds };
    }
    this.http.html(res, 'error' in holds ? 503 : 200);
    return this.pages.holds(holds);
  }

  /** One transaction, TRANSACTION_PAGE_SIZE changes a page (keyset: `cursor` older, `before` newer). */
  @Get('transactions/:id')
  @ApiExcludeEndpoint() // a page only; its data is transactions/:id/changes
  async transaction(
    @Param('id') id: string,
    @Query(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true })) query: PageQueryDto,
    @Res({ passthrough: true }) res: unknown,
  ) {
    // a malformed id or cursor is a 400 (InvalidQueryError)
    const page = await this.queries.changesForTransaction(id, {
      cursor: query.cursor,
      before: query.before,
      limit: query.limit ?? TRANSACTION_PAGE_SIZE,
    });
    this.http.html(res, 200);
    return this.pages.transaction(id, page, Boolean(query.cursor || query.before), query.before ? 'newer' : 'older');
  }
}
