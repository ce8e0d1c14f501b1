#!/usr/bin/env node
// `npx threadline-verify-proof PROOF --public-key FILE [--json]`: the offline check of a proof, with no
// database, no Nest application and no configuration: the public key and the file are all it reads.
import { readFileSync } from 'node:fs';
import { stringify } from 'lossless-json';
import { verifyProofText } from './proof-file';
import { proofFailed, proofHolds, proofProblems } from './proof.messages';
import { readVerifier } from './signed-note';

function main(argv: string[]): number {
  const json = argv.includes('--json');
  const at = argv.indexOf('--public-key');
  const keyFile = at >= 0 ? argv[at + 1] : undefined;
  const file = argv.find((a, i) => !a.startsWith('--') && i !== at + 1);
  if (!file || !keyFile) {
    process.stderr.write(`${proofProblems.binUsage()}\n`);
    return 2;
  }
  const checked = verifyProofText(readFileSync(file, 'utf8'), readVerifier(readFileSync(keyFile, 'utf8'), keyFile));
  // lossless: the rows' numbers as stored, not as JavaScript numbers nor as objects
  if (json) process.stdout.write(`${stringify(checked, null, 2)}\n`);
  else if (checked.ok) process.stdout.write(`${proofHolds(checked)}\n`);
  if (!checked.ok) process.stderr.write(`${proofFailed(checked.problem)}\n`);
  return checked.ok ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${proofFailed(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 1;
}
