import { ApiProperty, ApiPropertyOptional } from './swagger';
import { CHANGE_OPS } from '@threadline/export';

/**
 * The JSON the audit routes answer with, as OpenAPI schemas (for generated
 * clients). They describe AuditChange, AuditTransaction and ChangeDiff of
 * `@threadline/export`; the routes return those objects as they are.
 */
export class ActorRefSchema {
  @ApiProperty({ example: 'user' }) type: string;
  @ApiPropertyOptional({ example: '42' }) id?: string;
}

/**
 * Row images and keys: JSON objects whose numbers carry the digits PostgreSQL stored (numeric scale and
 * precision, bigint past 2^53): `100.00` stays `100.00`. A client that needs them exact parses with a
 * lossless JSON parser (JSON.parse would read 12345678901234567.12345678 as 12345678901234568).
 */
const EXACT_NUMBERS =
  'numbers are written with the digits PostgreSQL stored (numeric scale, bigint past 2^53: 100.00 stays 100.00); parse with a lossless JSON parser to keep them';
const OBJECT = { type: 'object', additionalProperties: true } as const;

export class AuditTransactionSchema {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'PostgreSQL transaction id (xid8), as a string', example: '1234' }) txid: string;
  @ApiProperty({ format: 'date-time' }) occurred_at: string;
  @ApiProperty({ type: ActorRefSchema, nullable: true }) actor_ref: ActorRefSchema | null;
  @ApiProperty({ type: String, nullable: true }) correlation_id: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) action_id: string | null;
  @ApiProperty({ type: String, nullable: true }) source: string | null;
  @ApiProperty({ ...OBJECT, nullable: true }) meta: unknown;
}

export class AuditChangeSchema {
  @ApiProperty({ description: 'bigint, as a string', example: '1042' }) id: string;
  @ApiProperty({ format: 'uuid' }) transaction_id: string;
  @ApiProperty({ example: 'public' }) table_schema: string;
  @ApiProperty({ example: 'posts' }) table_name: string;
  @ApiProperty({ enum: CHANGE_OPS }) op: string;
  @ApiProperty({ format: 'date-time', description: 'ISO 8601 UTC with microseconds' }) captured_at: string;
  @ApiProperty({ ...OBJECT, example: { id: 1 }, description: `the primary key; ${EXACT_NUMBERS}` })
  table_pk: Record<string, unknown>;
  @ApiProperty({ ...OBJECT, nullable: true, description: `the key before a key change; ${EXACT_NUMBERS}` })
  previous_pk: Record<string, unknown> | null;
  @ApiProperty({ ...OBJECT, nullable: true, description: `the row after the change, redacted; ${EXACT_NUMBERS}` })
  data_after: Record<string, unknown> | null;
  @ApiProperty({ type: [String], nullable: true }) changed_fields: string[] | null;
  @ApiProperty({
    ...OBJECT,
    nullable: true,
    description: `previous values of changed fields, for tables that store them; ${EXACT_NUMBERS}`,
  })
  changed_from: Record<string, unknown> | null;
  @ApiProperty({ type: AuditTransactionSchema }) transaction: AuditTransactionSchema;
}

export class ChangeDiffSchema {
  @ApiProperty({ enum: [1] }) schema_version: number;
  @ApiProperty() id: string;
  @ApiProperty({ enum: CHANGE_OPS }) op: string;
  @ApiProperty({ example: 'public.posts' }) table: string;
  @ApiProperty(OBJECT) table_pk: Record<string, unknown>;
  @ApiProperty({ ...OBJECT, nullable: true }) previous_pk: Record<string, unknown> | null;
  @ApiProperty({
    ...OBJECT,
    description: 'per field: { before?, after?, before_omitted?, before_from_previous_image? }',
  })
  fields: Record<string, unknown>;
}

export class AuditChangeWithDiffSchema extends AuditChangeSchema {
  @ApiProperty({ type: ChangeDiffSchema }) diff: ChangeDiffSchema;
}

export class ChangePageSchema {
  @ApiProperty({ type: [AuditChangeSchema], description: 'newest first' }) changes: AuditChangeSchema[];
  @ApiProperty({ type: String, nullable: true, description: 'pass back as `cursor` for the next (older) page' })
  nextCursor: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'pass back as `before` for the previous page' })
  previousCursor?: string | null;
}

export class HistoryPageSchema extends ChangePageSchema {
  @ApiProperty({ example: 'public.posts' }) table: string;
  @ApiProperty({ ...OBJECT, example: { id: 1 } }) key: Record<string, unknown>;
  @ApiPropertyOptional({ type: AuditChangeSchema, nullable: true, description: 'with `at`: that change, or null' })
  asOf?: AuditChangeSchema | null;
}

export class TransactionChangesSchema {
  @ApiProperty({ format: 'uuid' }) transaction_id: string;
  @ApiProperty({ type: [AuditChangeWithDiffSchema] }) changes: AuditChangeWithDiffSchema[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
  @ApiProperty({ type: String, nullable: true }) previousCursor: string | null;
}

/** Every refusal: 400 (bad input, naming the parameter), 403 (authorize said no), 404. */
export class ErrorSchema {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({ example: 'from must be an ISO 8601 date or timestamp such as 2026-01-31 (got "yesterday")' })
  message: string;
}
