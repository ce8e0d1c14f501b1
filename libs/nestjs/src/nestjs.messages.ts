/** The option problems ThreadlineModule reports about the options object itself (each slice words its own). */

export const OPTIONS_NOT_AN_OBJECT =
  'ThreadlineModule.forRoot expects an object such as { capture: { tables: { ... } } }';

export function unknownSlice(key: string, slices: readonly string[]): string {
  return `${key} is not a known option (allowed: ${slices.join(', ')})`;
}
