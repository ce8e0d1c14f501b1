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
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from './openapi/swagger';
import { stringifyStoredJson } from '@threadline/core';
import {
  AuditQueryService,
  changeDiff,
  InvalidPageError,
  InvalidQueryError,
  normalizeFilters,
  parseRowKey,
} from '@threadline/query';
import { CONTENT_TYPES, InvalidExportOptionError, formatList } from '@threadline/export';
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
import { ACTIONS_SHOWN, THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import type { ResolvedOperatorOptions } from './operator.options';
import { ExportDownloads } from './export-downloads';

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
  constructor(
    private readonly queries: AuditQueryService,
    private readonly pages: OperatorPages,
    private readonly downloads: ExportDownloads,
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
      const { page, previous } = await this.queries.withPreviousImages(
        await this.queries.timeline(query.toFilters({ blankIsNone: true }), {
          cursor: query.cursor,
          before: query.before,
          limit: query.limit ?? 50,
        }),
        undefined,
        query.before ? 'newer' : 'older',
      );
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
      const key = await this.historyKey(query);
      const read = await this.queries.historyPage(query.table, key, { cursor: query.cursor, limit: query.limit });
      const asOf = query.at ? await this.queries.changeOfRow(query.table, key, query.at) : undefined;
      if (!html) return { table: query.table, key, ...read, ...(query.at !== undefined && { asOf }) };
      const { page, previous } = await this.queries.withPreviousImages(read);
      const actions = await this.queries.actionsOf(
        page.changes.map((c) => c.transaction),
        ACTIONS_SHOWN.history,
      );
      return this.sendPage(
        res,
        200,
        await this.pages.history({
          table: query.table,
          key: stringifyStoredJson(key),
          change: query.change,
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
          key: query.key ?? '',
          change: query.change,
          changes: [],
          nextCursor: null,
          previous: new Map(),
          error: error.message,
        }),
      );
    }
  }

  /** The row a history names: by its key (`key=`), or by one of its changes (`change=`) when the key is too long for a URL. */
  private async historyKey(query: HistoryQueryDto): Promise<Record<string, unknown>> {
    if ((query.key === undefined) === (query.change === undefined))
      throw InvalidPageError.historyKey(query.key === undefined ? 'none' : 'both');
    return query.change === undefined ? parseRowKey(query.key) : this.queries.keyOfChange(query.table, query.change);
  }

  /**
   * One transaction's changes, each with its diff, newest first: `{ transaction_id, action, changes, nextCursor,
   * previousCursor }`, a page of `limit` (default and most 1000) at a time, so a 100,000-change import never
   * sits in memory whole. Every change at once: `/export?transaction=<id>`.
   */
  @Get('transactions/:id/changes')
  @ApiOperation({ summary: "One transaction's changes with their diffs, a page at a time" })
  @ApiParam({ name: 'id', description: 'the audit transaction id', format: 'uuid' })
  @ApiOkResponse({ type: TransactionChangesSchema })
  async transactionChanges(@Param('id') id: string, @Query() query: PageQueryDto) {
    const read = await this.queries.changesForTransaction(id, {
      cursor: query.cursor,
      before: query.before,
      limit: query.limit ?? 1000,
    });
    // what the transaction page shows: "before" from changed_from, else the row's previous captured image; the action
    const [{ page, previous }, actions] = await Promise.all([
      this.queries.withPreviousImages(read, undefined, query.before ? 'newer' : 'older'),
      this.queries.actionsOfTransaction(id, ACTIONS_SHOWN.transaction),
    ]);
    return {
      transaction_id: id,
      actions: actions.actions,
      actions_total: actions.total,
      changes: page.changes.map((change) => ({ ...change, diff: changeDiff(change, previous.get(change.id)) })),
      nextCursor: page.nextCursor,
      previousCursor: page.previousCursor ?? null,
    };
  }

  /** Streams an export (any of EXPORT_FORMATS) with a download file name; `maxRows` (default 10,000) caps it. */
  @Get('export')
  @ApiOperation({ summary: `Every matching change as a ${formatList()} download, streamed` })
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
    await this.downloads.send(query, req, reply);
  }

  private sendPage(res: unknown, status: number, page: string): string {
    this.http.html(res, status);
    return page;
  }
}
