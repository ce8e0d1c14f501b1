import { InvalidSqlLiteralError } from '../core.errors';
import { literal } from './quote';

/**
 * The one way statements take values: each `add` appends a value and returns
 * where it goes in the SQL, `$1`, `$2`... in the order the conditions are
 * built. COPY takes no bind parameters, so `SqlParams.inline()` instead
 * returns each (string) value as a quoted literal, through the same quoting
 * helper, and keeps no values.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  private constructor(private readonly inlined: boolean) {}

  /** Values passed beside the SQL (`query(sql, params.values)`). */
  static bound(...initial: unknown[]): SqlParams {
    const params = new SqlParams(false);
    params.values.push(...initial);
    return params;
  }

  /** Values written into the SQL as quoted literals, for statements that take no parameters (COPY). */
  static inline(): SqlParams {
    return new SqlParams(true);
  }

  add(value: unknown): string {
    if (!this.inlined) {
      this.values.push(value);
      return `$${this.values.length}`;
    }
    if (value === null) return 'NULL';
    if (typeof value !== 'string') throw InvalidSqlLiteralError.notAString(value);
    return literal(value);
  }
}
