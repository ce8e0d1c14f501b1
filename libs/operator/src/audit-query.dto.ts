import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { EXPORT_FORMATS, ExportFormat, TimelineFilters } from '@threadline/export';

/** Query parameters shared by the timeline and the export: the timeline's filter vocabulary. */
export class FilterQueryDto {
  @IsOptional() @IsString() @MaxLength(200) table?: string;
  /** `type:id`, e.g. `user:42` */
  @IsOptional() @IsString() @MaxLength(300) actor?: string;
  @IsOptional() @IsString() from?: string;
  @IsOptional() @IsString() to?: string;
  @IsOptional() @IsString() @MaxLength(256) correlationId?: string;

  toFilters(): TimelineFilters {
    return {
      ...(this.table !== undefined && { table: this.table }),
      ...(this.actor !== undefined && { actorRef: this.actor }),
      ...(this.from !== undefined && { from: this.from }),
      ...(this.to !== undefined && { to: this.to }),
      ...(this.correlationId !== undefined && { correlationId: this.correlationId }),
    };
  }
}

export class TimelineQueryDto extends FilterQueryDto {
  @IsOptional() @IsString() cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class ExportQueryDto extends FilterQueryDto {
  @IsIn(EXPORT_FORMATS) format: ExportFormat;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) maxRows?: number;
}
