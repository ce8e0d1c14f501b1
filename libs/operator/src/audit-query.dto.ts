import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { EXPORT_FORMATS, ExportFormat, filtersFromParams, TIMELINE_FILTERS, TimelineFilters } from '@threadline/export';

/**
 * Query parameters shared by the timeline and the export: one property per
 * entry of TIMELINE_FILTERS (`table`, `actor`, `from`, `to`,
 * `correlationId`), each an optional string of at most its `maxLength`. The
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
  for (const decorate of [IsOptional(), IsString(), MaxLength(field.maxLength)])
    decorate(FilterQueryDto.prototype, field.param);
}

export class TimelineQueryDto extends FilterQueryDto {
  @IsOptional() @IsString() cursor?: string;
  @IsOptional() @IsString() before?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class ExportQueryDto extends FilterQueryDto {
  @IsIn(EXPORT_FORMATS) format: ExportFormat;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) maxRows?: number;
}

/** `/history?table=schema.table&key={"id":1}[&cursor][&limit][&at=<change id>]`: one row's history. */
export class HistoryQueryDto {
  @IsString() @MaxLength(200) table: string;
  @IsString() @MaxLength(2000) key: string;
  @IsOptional() @IsString() cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsString() @MaxLength(20) at?: string;
}
