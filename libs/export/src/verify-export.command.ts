import { commandOutput, JsonFlag, ThreadlineCommand } from '@threadline/core';
import { ExportCheckError } from './export.errors';
import { existsSync, readFileSync } from 'fs';
import { Command, Option } from 'nest-commander';
import { BodyDigest, ExportManifest, ExportSeals } from './export-manifest';
import { readExportCheckpoint, readVerifier } from '@threadline/proof';
import { describeExportCheck, ExportCheck, exportSignatureProblems } from './export.messages';

interface VerifyExportFlags {
  manifest?: string;
  publicKey?: string;
  json?: boolean;
}

/**
 * `verify-export FILE [--manifest PATH] [--public-key FILE] [--json]`: checks an export file
 * against its manifest (size and SHA-256) and the hash chain against the
 * head the export was cut at; with --public-key also the manifest's signed
 * checkpoint (the log's key signed this file's SHA-256 at that tree size);
 * exits 1 naming each difference.
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
    const signature = flags.publicKey ? signedProblems(manifest, actual.sha256, flags.publicKey) : null;
    const problems = [
      ...(signature ?? []),
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
      signed: signature ? signature.length === 0 : null,
      problems,
    };
    if (flags.json) commandOutput.json(check);
    else commandOutput.text(describeExportCheck(check, manifest));
    if (!check.ok) commandOutput.fail(ExportCheckError.failed(problems));
  }

  @Option({
    flags: '--public-key <file>',
    description: "also check the manifest's signed checkpoint with the log's verifier key (what public-key prints)",
  })
  parsePublicKey(value: string): string {
    return value;
  }

  @Option({ flags: '--manifest <path>', description: 'the manifest (default: FILE.manifest.json)' })
  parseManifest(value: string): string {
    return value;
  }
}

/** What does not hold in the manifest's signed checkpoint, checked with the log's public key alone. */
function signedProblems(manifest: ExportManifest, sha256: string, keyFile: string): string[] {
  if (!manifest.signed_checkpoint) return [exportSignatureProblems.unsigned()];
  const read = readExportCheckpoint(manifest.signed_checkpoint, readVerifier(readFileSync(keyFile, 'utf8'), keyFile));
  if ('problem' in read) return [read.problem];
  return [
    ...(read.sha256 !== sha256 ? [exportSignatureProblems.otherFile(read.sha256, sha256)] : []),
    ...(read.size !== manifest.sealed_through?.seq
      ? [exportSignatureProblems.otherSize(read.size, manifest.sealed_through?.seq)]
      : []),
  ];
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
