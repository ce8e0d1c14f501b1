import {
  ArgumentsHost,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Param,
  Query,
  Res,
  UseFilters,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import type { Response } from 'express';
import { changeDiff } from './audit-change';
import { AuditQueryService } from './audit-query.service';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { ExportQueryDto, TimelineQueryDto } from './export.dto';
import { InvalidFilterError } from './export.error';
import { CONTENT_TYPES, ExportService } from './export.service';

/** Bad filters are the client's error: 400 with the rule. */
@Catch(InvalidFilterError)
export class InvalidFilterFilter implements ExceptionFilter {
  catch(error: InvalidFilterError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return void response.end();
    response.status(400).json({ statusCode: 400, error: 'Bad Request', message: error.message });
  }
}

/** Audit data over HTTP, behind the app's `operator.authorize` (fails closed). */
@Controller('audit')
@UseGuards(ThreadlineAuthorizeGuard)
@UseFilters(InvalidFilterFilter)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class AuditController {
  constructor(
    private readonly queries: AuditQueryService,
    private readonly exports: ExportService,
  ) {}

  /** `{ changes, nextCursor }`: newest first, keyset paged. */
  @Get('timeline')
  timeline(@Query() query: TimelineQueryDto) {
    return this.queries.timeline(query.toFilters(), { cursor: query.cursor, limit: query.limit });
  }

  /** Every change of one transaction, each with its diff: the incident drill-down. */
  @Get('transactions/:id/changes')
  async transactionChanges(@Param('id') id: string) {
    const changes = await this.queries.changesForTransaction(id);
    return { transaction_id: id, changes: changes.map((change) => ({ ...change, diff: changeDiff(change) })) };
  }

  /** Streams CSV / JSON / NDJSON with a download file name; `maxRows` (default 10,000) caps it. */
  @Get('export')
  async export(@Query() query: ExportQueryDto, @Res() res: Response): Promise<void> {
    const meta = { returnedCount: 0, truncated: false };
    const chunks = this.exports.chunks(query.toFilters(), { format: query.format, maxRows: query.maxRows ?? 10_000 }, meta);
    const first = await chunks.next(); // validation errors surface here, before any byte is sent
    res.status(200);
    res.setHeader('content-type', CONTENT_TYPES[query.format]);
    res.setHeader('content-disposition', `attachment; filename="audit-changes-${new Date().toISOString().replace(/[:.]/g, '-')}.${query.format}"`);
    res.setHeader('x-threadline-max-rows', String(query.maxRows ?? 10_000));
    for (let next = first; !next.done; next = await chunks.next()) {
      if (!res.write(next.value)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  }
}

