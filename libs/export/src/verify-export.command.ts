import { commandOutput, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { ExportCheckError } from './export.errors';
import { existsSync, readFileSync } from 'fs';
import { Command, Option } from 'nest-commander';
import { BodyDigest, ExportManifest, ExportSeals } from './export-manifest';

interface VerifyExportFlags {
  manifest?: string;
  json?: boolean;
}

export interface ExportCheck {
  file: string;
  manifest: string;
  ok: boolean;
  bytes: { expected: number; actual: number };
  sha256: { expected: string; actual: string };
  /** Whether the hash chain still passes through the head the export was cut at (null: nothing was sealed then). */
  chain: 'intact' | 'purged' | 'differs' | null;
  problems: string[];
}

/**
 * `verify-export FILE [--manifest PATH] [--json]`: checks an export file
 * against its manifest (size and SHA-256) and the hash chain against the
 * head the export was cut at; exits 1 naming each difference.
 */
@JsonFlag()
@Command({
  name: 'verify-export',
  arguments: '<file>',
  description: "Check an export file against its manifest (size, SHA-256) and the chain's head it was cut at",
})
export class VerifyExportCommand extends ThreadlineCommand<VerifyExportFlags> {
  constructor(private readonly seals: ExportSeals) {
    super();
  }

  protected async execute([file]: string[], flags: VerifyExportFlags): Promise<void> {
    const manifestPath = flags.manifest ?? `${file}.manifest.json`;
    for (const [what, path] of [
      ['export file', file],
      ['manifest', manifestPath],
    ] as const)
      if (!existsSync(path)) throw ExportCheckError.missing(what, path);
    const manifest = readManifest(manifestPath);
    const actual = await BodyDigest.ofFile(file);
    const chain = manifest.sealed_through ? await this.seals.check(manifest.sealed_through) : null;
    const problems = [
      ...(actual.bytes !== manifest.bytes
        ? [`size differs: the manifest says ${manifest.bytes} bytes, the file has ${actual.bytes}`]
        : []),
      ...(actual.sha256 !== manifest.sha256
        ? [`SHA-256 differs: the manifest says ${manifest.sha256}, the file hashes to ${actual.sha256}`]
        : []),
      ...(chain === 'differs'
        ? [
            `the hash chain no longer passes through seal #${manifest.sealed_through!.seq} ${manifest.sealed_through!.chain_sha256}: the audit log was rewritten since this export (run verify-integrity)`,
          ]
        : []),
    ];
    const check: ExportCheck = {
      file,
      manifest: manifestPath,
      ok: problems.length === 0,
      bytes: { expected: manifest.bytes, actual: actual.bytes },
      sha256: { expected: manifest.sha256, actual: actual.sha256 },
      chain,
      problems,
    };
    if (flags.json) commandOutput.json(check);
    else
      commandOutput.text(
        [
          `${file}: ${actual.bytes} bytes, sha256 ${actual.sha256}`,
          `manifest ${manifestPath}: ${manifest.row_count} ${manifest.format} rows, filters ${JSON.stringify(manifest.filters)}, cut at ${manifest.sealed_through ? `seal #${manifest.sealed_through.seq}` : 'no seal'}`,
          chain === 'purged'
            ? `chain: seal #${manifest.sealed_through!.seq} has since been purged by retention; the file is checked against its manifest only`
            : `chain: ${chain ?? 'nothing was sealed when it was exported'}`,
          ...problems.map((p) => `  - ${p}`),
          check.ok ? 'OK: the file is the export its manifest describes' : 'FAILED',
        ].join('\n'),
      );
    if (!check.ok) commandOutput.fail(ExportCheckError.failed(problems));
  }

  @Option({ flags: '--manifest <path>', description: 'the manifest (default: FILE.manifest.json)' })
  parseManifest(value: string): string {
    return value;
  }
}

function readManifest(path: string): ExportManifest {
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as ExportManifest;
  } catch (error) {
    throw ExportCheckError.notJson(path, (error as Error).message);
  }
  if (
    manifest?.manifest_version !== 1 ||
    typeof manifest.sha256 !== 'string' ||
    !Number.isInteger(manifest.bytes) ||
    (manifest.sealed_through !== null &&
      (typeof manifest.sealed_through?.seq !== 'number' || typeof manifest.sealed_through.chain_sha256 !== 'string'))
  )
    throw ExportCheckError.notAManifest(path);
  return manifest;
}
