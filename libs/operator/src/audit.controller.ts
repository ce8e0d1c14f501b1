import {
  Controller,
  Get,
  Inject,
  Param,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import type { ServerResponse } from 'http';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from './openapi/swagger';
import {
  AuditQueryService,
  BodyDigest,
  changeDiff,
  CONTENT_TYPES,
  DEFAULT_EXPORT_MAX_ROWS,
  ExportSeals,
  ExportService,
  InvalidExportOptionError,
  InvalidQueryError,
  normalizeFilters,
  parseRowKey,
} from '@threadline/export';
import { ThreadlineAuthorizeGuard } from './authorize.guard';
import { OperatorHeadersGuard } from './operator-headers.guard';
import {
  ChangePageSchema,
  ErrorSchema,
  HistoryPageSchema,
  TransactionChangesSchema,
} from './openapi/audit-responses.dto';
import { ExportQueryDto, HistoryQueryDto, PageQueryDto, TimelineQueryDto } from './audit-query.dto';
import { HttpPlatform, wantsHtml } from './http-platform';
import { OperatorExceptionFilter } from './operator-exception.filter';
import { OperatorPages } from './operator-pages.service';
import { StoredJsonInterceptor } from './stored-json.interceptor';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import type { ResolvedOperatorOptions } from './operator.options';
import { errorPage } from './pages/layout';
import { exportsBusy } from './operator.messages';

/**
 * Audit data over HTTP, behind the app's `operator.authorize` (fails closed),
 * at the module's path (`operator.path`, placed by OperatorMount).
 */
@Controller()
@ApiTags('audit')
@ApiBadRequestResponse({ type: ErrorSchema, description: 'a bad parameter, named with the rule' })
@ApiForbiddenResponse({ type: ErrorSchema, description: 'operator.authorize said no' })
@UseGuards(OperatorHeadersGuard, ThreadlineAuthorizeGuard)
@UseFilters(OperatorExceptionFilter)
@UseInterceptors(StoredJsonInterceptor)
@UsePipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
export class AuditController {
  /** Exports streaming now (operator.maxConcurrentExports caps it). */
  private streamingExports = 0;

  constructor(
    private readonly queries: AuditQueryService,
    private readonly exports: ExportService,
    private readonly pages: OperatorPages,
    private readonly seals: ExportSeals,
    private readonly http: HttpPlatform,
    @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions,
  ) {}

  /**
   * `{ changes, nextCursor, previousCursor }`, newest first, keyset paged (`cursor` for the next page, `before` for
   * the previous one); the same URL is the timeline page for browsers.
   */
  @Get('timeline')
  @ApiOperation({ summary: 'Changes matching the filters, newest first, keyset paged' })
  @ApiOkResponse({ type: ChangePageSchema })
  async timeline(@Query() query: TimelineQueryDto, @Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    if (!wantsHtml(req))
      return this.queries.timeline(query.toFilters(), {
        cursor: query.cursor,
        before: query.before,
        limit: query.limit,
      });
    // A form submits its empty fields: on the page, a blank filter is no filter.
    const filters = query.filterParams();
    try {
      const page = await this.queries.timeline(query.toFilters({ blankIsNone: true }), {
        cursor: query.cursor,
        before: query.before,
        limit: query.limit ?? 50,
      });
      const previous = await this.queries.previousImages(page.changes);
      return this.sendPage(
        res,
        200,
        await this.pages.timeline({
          filters,
          changes: page.changes,
          nextCursor: page.nextCursor,
          previousCursor: page.previousCursor ?? null,
          previous,
        }),
      );
    } catch (error) {
      if (!(error instanceof InvalidQueryError)) throw error;
      return this.sendPage(
        res,
        400,
        await this.pages.timeline({ filters, changes: [], nextCursor: null, error: error.message }),
      );
    }
  }

  /**
   * One row's history, newest first, keyset paged: `{ table, key, changes, nextCursor }` (with `at`, a change id,
   * also `asOf`: that change, whose image is the row's state after it, or null when it is not this row's); the
   * same URL is the record history page for browsers.
   */
  @Get('history')
  @ApiOperation({ summary: "One row's history, newest first (key changes and truncates included)" })
  @ApiOkResponse({ type: HistoryPageSchema })
  async history(@Query() query: HistoryQueryDto, @Req() req: unknown, @Res({ passthrough: true }) res: unknown) {
    const html = wantsHtml(req);
    try {
      const key = parseRowKey(query.key);
      const page = await this.queries.historyPage(query.table, key, { cursor: query.cursor, limit: query.limit });
      const asOf = query.at ? await this.queries.changeOfRow(query.table, key, query.at) : undefined;
      if (!html) return { table: query.table, key, ...page, ...(query.at !== undefined && { asOf }) };
      const previous = await this.queries.previousImages(page.changes);
      const actions = await this.queries.actionsOf(page.changes.map((c) => c.transaction));
      return this.sendPage(
        res,
        200,
        await this.pages.history({
          table: query.table,
          key: query.key,
          ...page,
          previous,
          actions,
          asOf,
          asOfMissing: query.at && !asOf ? query.at : undefined,
        }),
      );
    } catch (error) {
      if (!html || !(error instanceof InvalidQueryError)) throw error;
      return this.sendPage(
        res,
        400,
        await this.pages.history({
          table: query.table,
          key: query.key,
          changes: [],
          nextCursor: null,
          previous: new Map(),
          error: error.message,
        }),
      );
    }
  }

  /**
   * One transaction's changes, each with its diff, newest first: `{ transaction_id, changes, nextCursor,
   * previousCursor }`, a page of `limit` (default and most 1000) at a time, so a 100,000-change import never
   * sits in memory whole. Every change at once: `/export?transaction=<id>`.
   */
  @Get('transactions/:id/changes')
  @ApiOperation({ summary: "One transaction's changes with their diffs, a page at a time" })
  @ApiParam({ name: 'id', description: 'the audit transaction id', format: 'uuid' })
  @ApiOkResponse({ type: TransactionChangesSchema })
  async transactionChanges(@Param('id') id: string, @Query() query: PageQueryDto) {
    const page = await this.queries.changesForTransaction(id, {
      cursor: query.cursor,
      before: query.before,
      limit: query.limit ?? 1000,
    });
    return {
      transaction_id: id,
      changes: page.changes.map((change) => ({ ...change, diff: changeDiff(change) })),
      nextCursor: page.nextCursor,
      previousCursor: page.previousCursor ?? null,
    };
  }

  /** Streams CSV / JSON / NDJSON with a download file name; `maxRows` (default 10,000) caps it. */
  @Get('export')
  @ApiOperation({ summary: 'Every matching change as a CSV, JSON or NDJSON download, streamed' })
  @ApiProduces(...Object.values(CONTENT_TYPES))
  @ApiOkResponse({
    description:
      'the export; headers x-threadline-sealed-through and x-threadline-max-rows, trailers x-threadline-sha256, x-threadline-bytes and x-threadline-row-count (docs/trust.md)',
    schema: { type: 'string' },
  })
  async export(@Query() query: ExportQueryDto, @Req() req: unknown, @Res() reply: unknown): Promise<void> {
    if (query.csvFormulas === 'verbatim' && !this.options.allowVerbatimCsvFormulas)
      throw InvalidExportOptionError.verbatimNotAllowed();
    normalizeFilters(query.toFilters()); // a bad filter is a 400 whether or not a slot is free
    if (this.streamingExports >= this.options.maxConcurrentExports) return this.exportsBusy(req, reply);
    this.streamingExports++;
    try {
      await this.streamExport(query, reply);
    } finally {
      this.streamingExports--;
    }
  }

  /** 429 with Retry-After: every export slot streams (each holds a database connection while its client reads). */
  private exportsBusy(req: unknown, reply: unknown): void {
    const message = exportsBusy(this.options.maxConcurrentExports);
    this.http.setHeaders(reply, { 'retry-after': '5' });
    if (wantsHtml(req))
      return this.http.reply(reply, 429, errorPage('Too many exports at once', message, 'Try again in a few seconds.'));
    this.http.reply(reply, 429, { statusCode: 429, error: 'Too Many Requests', message });
  }

  private async streamExport(query: ExportQueryDto, reply: unknown): Promise<void> {
    const meta = { returnedCount: 0, truncated: false };
    const chunks = this.exports.chunks(
      query.toFilters(),
      { format: query.format, maxRows: query.maxRows ?? DEFAULT_EXPORT_MAX_ROWS, csvFormulas: query.csvFormulas },
      meta,
    );
    const first = await chunks.next(); // validation errors surface here, before any byte is sent
    // The export's manifest travels with it (docs/trust.md): the chain's head it was cut at as a header, and the
    // body's SHA-256, size and row count as trailers once the body has been sent.
    const sealedThrough = await this.seals.head().then(
      (head) => (head ? `${head.seq}:${head.chain_sha256}` : 'none'),
      // a header takes printable ASCII only: a localized server message must not turn the export into a 500
      (error: unknown) =>
        `unavailable (${error instanceof Error ? error.message : String(error)})`
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 200),
    );
    const digest = new BodyDigest();
    const res = this.http.takeOver(reply);
    res.statusCode = 200;
    res.setHeader('x-threadline-sealed-through', sealedThrough);
    res.setHeader('trailer', 'x-threadline-sha256, x-threadline-bytes, x-threadline-row-count');
    res.setHeader('content-type', CONTENT_TYPES[query.format]);
    res.setHeader(
      'content-disposition',
      `attachment; filename="audit-changes-${new Date().toISOString().replace(/[:.]/g, '-')}.${query.format}"`,
    );
    res.setHeader('x-threadline-max-rows', String(query.maxRows ?? DEFAULT_EXPORT_MAX_ROWS));
    try {
      for (let next = first; !next.done && !res.destroyed; next = await chunks.next()) {
        digest.update(next.value);
        if (!res.write(next.value) && !(await drainedOrClosed(res, this.options.exportStallSeconds * 1000))) {
          // a client that stopped reading would hold its slot, a connection and a snapshot for ever
          res.destroy();
          break;
        }
      }
    } finally {
      await chunks.return(undefined); // the client went away: stop the export and give its connection back now, not never
    }
    if (res.destroyed) return;
    res.addTrailers({
      'x-threadline-sha256': digest.hex(),
      'x-threadline-bytes': String(digest.bytes),
      'x-threadline-row-count': String(meta.returnedCount),
    });
    res.end();
  }

  private sendPage(res: unknown, status: number, page: string): string {
    this.http.html(res, status);
    return page;
  }
}

/**
 * Resolves true when the response can take more or the client has gone (a drain would never come), false when
 * the client read nothing for `stallMs`.
 */
function drainedOrClosed(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (moved: boolean) => () => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      resolve(moved);
    };
    const onDrain = done(true);
    const timer = setTimeout(done(false), stallMs);
    res.on('drain', onDrain);
    res.on('close', onDrain);
  });
}
