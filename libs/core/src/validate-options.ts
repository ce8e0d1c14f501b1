import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { invalidOptionValue, notAnOptionsObject, unknownOption } from './core.messages';

/**
 * The first problems of any options slice, in the one path style every slice
 * uses (`retention.keepDays ...`): the slice is not an object, or has keys
 * that are not options (each listed with the allowed ones). Undefined is fine.
 */
export function optionProblems(path: string, value: unknown, known: readonly string[]): string[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [notAnOptionsObject(path, known, describe(value))];
  }
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) => unknownOption(path, key, known));
}

/**
 * Validates one plain options object against a class-validator schema and
 * returns readable problems, each prefixed with the option's full path
 * (`capture.tables.users.mask`). Unknown keys are reported with the allowed ones.
 */
export function validateOptionsObject(schema: new () => object, value: unknown, path: string): string[] {
  const problems = optionProblems(path, value, Object.keys(new schema()));
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return problems;
  const instance = plainToInstance(schema, value);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  return problems.concat(flatten(errors, path));
}

function flatten(errors: ValidationError[], path: string): string[] {
  return errors.flatMap((error) => {
    const here = `${path}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((text) =>
      invalidOptionValue(here, text, describe(error.value)),
    );
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
