import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/**
 * Validates one plain options object against a class-validator schema and
 * returns readable problems, each prefixed with the option's full path
 * (`capture.tables.users.mask`). Unknown keys are reported with the allowed ones.
 */
export function validateOptionsObject(schema: new () => object, value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [`${path} must be an object`];
  }
  const allowed = Object.keys(new schema());
  const problems = Object.keys(value)
    .filter((key) => !allowed.includes(key))
    .map((key) => `${path}.${key} is not a known option (allowed: ${allowed.join(', ')})`);
  const instance = plainToInstance(schema, value);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  return problems.concat(flatten(errors, path));
}

function flatten(errors: ValidationError[], path: string): string[] {
  return errors.flatMap((error) => {
    const here = `${path}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((text) => `${here} ${text} (got ${describe(error.value)})`);
    return own.concat(flatten(error.children ?? [], here));
  });
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
