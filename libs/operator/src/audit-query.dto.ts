import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from './openapi/swagger';
import { filtersFromParams, ROW_KEY_MAX_LENGTH, TIMELINE_FILTERS, TimelineFilters } from '@threadline/query';
import {
  CSV_FORMULAS,
  DEFAULT_EXPORT_MAX_ROWS,
  CsvFormulas,
  EXPORT_FORMATS,
  ExportFormat,
  HTTP_EXPORT_MAX_ROWS,
} from '@threadline/export';

/**
 * Query parameters shared by the timeline and the export: one property per
 * entry of TIMELINE_FILTERS (named by its `param`), each an optional string
 * of at most its `maxLength`. The
 * decorators are applied from that description below, so a new filter needs
 * no edit here.
 */
export class FilterQueryDto {
  [param: string]: unknown;

  toFilters(options: { blankIsNone?: boolean } = {}): TimelineFilters {
    return filtersFromParams(this, options);
  }

  /** The filter parameters as given, blank ones left out: what a page's form and links carry on. */
  filterParams(): Record<string, string> {
    const params: Record<string, string> = {};
    for (const { param } of TIMELINE_FILTERS) {
      const value = this[param];
      if (typeof value === 'string' && value.trim()) params[param] = value;
    }
    return params;
  }
}

for (const field of TIMELINE_FILTERS) {
  const described = ApiPropertyOptional({
    type: String,
    description: field.description,
    example: field.example,
    maxLength: field.maxLength,
  });
  for (const decorate of [IsOptional(), IsString(), MaxLength(field.maxLength), described])
    decorate(FilterQueryDto.prototype, field.param);
}

const CURSOR = 'a nextCursor from the previous page, unchanged: the page after (older than) it';
const BEFORE = 'a previousCursor, unchanged: the page before (newer than) it; not with cursor';
/** `limit`: an integer from 1 to 1000 changes a page (the query string's text converted), documented with its default. */
const PageLimit = (byDefault: number) =>
  applyDecorators(
    ApiPropertyOptional({
      description: `changes per page, 1 to 1000 (default ${byDefault})`,
      minimum: 1,
      maximum: 1000,
    }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(1000),
  );

export class TimelineQueryDto extends FilterQueryDto {
  @ApiPropertyOptional({ description: CURSOR }) @IsOptional() @IsString() cursor?: string;
  @ApiPropertyOptional({ description: BEFORE }) @IsOptional() @IsString() before?: string;
  @PageLimit(50) limit?: number;
}

/** `?cursor=…` (next, older page) or `?before=…` (previous page), and `limit` (1-1000): one transaction's changes. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: CURSOR }) @IsOptional() @IsString() @MaxLength(200) cursor?: string;
  @ApiPropertyOptional({ description: BEFORE }) @IsOptional() @IsString() @MaxLength(200) before?: string;
  @PageLimit(1_000) limit?: number;
}

export class ExportQueryDto extends FilterQueryDto {
  @ApiProperty({ enum: EXPORT_FORMATS }) @IsIn(EXPORT_FORMATS) format: ExportFormat;
  @ApiPropertyOptional({
    description: `rows at most (default ${DEFAULT_EXPORT_MAX_ROWS}); x-threadline-max-rows says which applied`,
    minimum: 1,
    maximum: HTTP_EXPORT_MAX_ROWS,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(HTTP_EXPORT_MAX_ROWS)
  maxRows?: number;
  /** `verbatim` turns off the CSV formula guard (for machine consumers); see ExportOptions.csvFormulas. */
  @ApiPropertyOptional({
    enum: CSV_FORMULAS,
    description: 'neutralize (default): a leading apostrophe on CSV cells starting with = + - @, tab or CR',
  })
  @IsOptional()
  @IsIn(CSV_FORMULAS)
  csvFormulas?: CsvFormulas;
}

/**
 * `/history?table=schema.table&key={"id":1}[&cursor][&limit][&at=<change id>]`: one row's history; `change=<id>`
 * instead of `key` names the row by one of its changes (a key longer than a URL takes).
 */
export class HistoryQueryDto {
  @ApiProperty({ example: 'public.posts' }) @IsString() @MaxLength(200) table: string;
  @ApiPropertyOptional({
    description: "the row's primary key as JSON, as table_pk shows it (or give change instead)",
    example: '{"id":1}',
  })
  @IsOptional()
  @IsString()
  @MaxLength(ROW_KEY_MAX_LENGTH)
  key?: string;
  @ApiPropertyOptional({
    description: 'instead of key: a change id of the row, naming it by that change (for a key too long for a URL)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  change?: string;
  @ApiPropertyOptional({ description: CURSOR }) @IsOptional() @IsString() cursor?: string;
  @PageLimit(50) limit?: number;
  @ApiPropertyOptional({ description: "a change id of this row: asOf is the row's state after it" })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  at?: string;
}
