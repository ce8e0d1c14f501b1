/**
 * The texts @threadline/export reports without throwing, in one place; thrown errors are in
 * export.errors.ts.
 */

/** What does not hold in an export manifest's signed checkpoint (verify-export --public-key). */
export const exportSignatureProblems = {
  unsigned: () =>
    'the manifest has no signed checkpoint: it was exported with checkpoints off (set health.integrity.checkpoints), so only its size and SHA-256 can be checked',
  otherFile: (signed: string, actual: string) =>
    `the signed checkpoint names another file: SHA-256 ${signed}, this file hashes to ${actual}`,
  otherSize: (signed: number, manifest: number | undefined) =>
    `the signed checkpoint is for ${signed} seals, the manifest says the export was cut at seal #${manifest ?? 'none'}`,
};
