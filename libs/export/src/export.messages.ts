/**
 * The texts @threadline/export reports without throwing, in one place; thrown errors are in
 * export.errors.ts.
 */
import { ExportManifest } from './export-manifest';

/** What does not hold in an export manifest's signed checkpoint (verify-export --public-key). */
export const exportSignatureProblems = {
  unsigned: () =>
    'the manifest has no signed checkpoint: it was exported with checkpoints off (set health.integrity.checkpoints), so only its size and SHA-256 can be checked',
  otherFile: (signed: string, actual: string) =>
    `the signed checkpoint names another file: SHA-256 ${signed}, this file hashes to ${actual}`,
  otherSize: (signed: number, manifest: number | undefined) =>
    `the signed checkpoint is for ${signed} seals, the manifest says the export was cut at seal #${manifest ?? 'none'}`,
};

/** What verify-export found (its --json output). */
export interface ExportCheck {
  file: string;
  manifest: string;
  ok: boolean;
  bytes: { expected: number; actual: number };
  sha256: { expected: string; actual: string };
  /** Whether the hash chain still passes through the head the export was cut at (null: nothing was sealed then). */
  chain: 'intact' | 'purged' | 'differs' | null;
  /** With --public-key: whether the manifest's signed checkpoint is the log's and names this file (null: not checked). */
  signed: boolean | null;
  problems: string[];
}

/** verify-export's report, line by line. */
export function describeExportCheck(check: ExportCheck, manifest: ExportManifest): string {
  const seal = manifest.sealed_through;
  return [
    `${check.file}: ${check.bytes.actual} bytes, sha256 ${check.sha256.actual}`,
    `manifest ${check.manifest}: ${manifest.row_count} ${manifest.format} rows, filters ${JSON.stringify(manifest.filters)}, cut at ${seal ? `seal #${seal.seq}` : 'no seal'}`,
    check.chain === 'purged'
      ? `chain: seal #${seal!.seq} has since been purged by retention; the file is checked against its manifest only`
      : `chain: ${check.chain ?? 'nothing was sealed when it was exported'}`,
    ...(check.signed ? [`signed: the log's key signed this file's SHA-256 at ${seal?.seq} seals`] : []),
    ...check.problems.map((p) => `  - ${p}`),
    check.ok ? 'OK: the file is the export its manifest describes' : 'FAILED',
  ].join('\n');
}

/** `export --out FILE`: where the export and its manifest went (on stderr; stdout stays free). */
export function exportWritten(count: number, file: string, manifest: string | undefined): string {
  return `Exported ${count} change${count === 1 ? '' : 's'} to ${file}${manifest ? ` (manifest: ${manifest})` : ''}\n`;
}
