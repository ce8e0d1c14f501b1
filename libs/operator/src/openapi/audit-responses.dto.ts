import { ACTIONS_SHOWN } from '../operator.constants';
import { ApiProperty, ApiPropertyOptional } from './swagger';
import {
  AUDIT_ACTION_FIELDS,
  AUDIT_CHANGE_FIELDS,
  AUDIT_TRANSACTION_FIELDS,
  AuditAction,
  AuditChange,
  AuditField,
  AuditTransaction,
  CHANGE_DIFF_FIELDS,
  ChangeDiff,
} from '@threadline/query';

/**
 * The JSON the audit routes answer with, as OpenAPI schemas (for generated
 * clients). They describe AuditChange, AuditTransaction, AuditAction and ChangeDiff of
 * `@threadline/query`; the routes return those objects as they are.
 */
export class ActorRefSchema {
  @ApiProperty({ example: 'user' }) type: string;
  @ApiPropertyOptional({ example: '42' }) id?: string;
}

const OBJECT = { type: 'object', additionalProperties: true } as const;

/** The schemas a field's `openapi.nested` names. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- a class, as Swagger's `type` takes it
const NESTED: Record<string, () => Function> = {
  ActorRef: () => ActorRefSchema,
  AuditTransaction: () => AuditTransactionSchema,
};

/** Decorates `target` with one OpenAPI property per field of an audit row declaration (see AUDIT_CHANGE_FIELDS). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- a class whose prototype is decorated
function describeFields(target: Function, fields: readonly AuditField[]): void {
  for (const { name, openapi } of fields) {
    const { nested, ...options } = openapi;
    // no design:type metadata here (nothing is declared): a field that names no type is a string
    ApiProperty({ type: String, ...options, ...(nested && { type: NESTED[nested]() }) })(target.prototype, name);
  }
}

/** AuditTransaction of `@threadline/query`, property by property from AUDIT_TRANSACTION_FIELDS. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its type is AuditTransaction (below)
export class AuditTransactionSchema {}
// The class carries the OpenAPI metadata; its TypeScript shape is AuditTransaction's (nothing to declare twice).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- see above
export interface AuditTransactionSchema extends AuditTransaction {}
describeFields(AuditTransactionSchema, AUDIT_TRANSACTION_FIELDS);

/** AuditChange of `@threadline/query`, property by property from AUDIT_CHANGE_FIELDS. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its type is AuditChange (below)
export class AuditChangeSchema {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- see above
export interface AuditChangeSchema extends AuditChange {}
describeFields(AuditChangeSchema, AUDIT_CHANGE_FIELDS);

/** ChangeDiff of `@threadline/query`, property by property from CHANGE_DIFF_FIELDS. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its type is ChangeDiff (below)
export class ChangeDiffSchema {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- see above
export interface ChangeDiffSchema extends ChangeDiff {}
describeFields(ChangeDiffSchema, CHANGE_DIFF_FIELDS);

/** AuditAction of `@threadline/query` (a transaction's "why"), property by property from AUDIT_ACTION_FIELDS. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its type is AuditAction (below)
export class AuditActionSchema {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- see above
export interface AuditActionSchema extends AuditAction {}
describeFields(AuditActionSchema, AUDIT_ACTION_FIELDS);

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
  @ApiProperty({
    type: [AuditActionSchema],
    description: `the actions recorded in the transaction (its "why"), oldest first, as the transaction page shows them: the first ${ACTIONS_SHOWN.transaction}`,
  })
  actions: AuditActionSchema[];
  @ApiProperty({ description: 'how many actions the transaction recorded (more than `actions` holds past the limit)' })
  actions_total: number;
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
