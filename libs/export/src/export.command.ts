import { Optional } from '@nestjs/common';
import { addFlag, CommandUsageError, ProgressLine, ThreadlineCommand } from '@threadline/core';
import { CheckpointService } from '@threadline/proof';
import { createWriteStream, writeFileSync } from 'fs';
import { Command, Option } from 'nest-commander';
import { finished } from 'stream/promises';
import { BodyDigest, ExportManifest, ExportSeals } from './export-manifest';
import { EXPORT_FORMATS, ExportFormat, formatList } from './export-formats';
import { CsvFormulas, ExportService } from './export.service';
import { exportWritten } from './export.messages';
import { describeFilters, filtersFromParams, normalizeFilters, TIMELINE_FILTERS } from '@threadline/query';

interface ExportFlags extends Record<string, unknown> {
  format?: ExportFormat;
  out?: string;
  manifest?: string;
  csvFormulas?: CsvFormulas;
}

/**
 * `export --format <format> [filters] [--out FILE] [--manifest PATH]`:
 * every matching change (no cap), streamed, in one of EXPORT_FORMATS. The
 * filter flags come from TIMELINE_FILTERS, one per entry, below. With `--out FILE` it also writes
 * FILE.manifest.json (or `--manifest PATH`): filters, row count, size,
 * SHA-256 of the file and the hash chain's head it was cut at, which
 * `verify-export FILE` checks.
 */
@Command({
  name: 'export',
  description: `Export audit changes as ${formatList()} (same filters as the timeline)`,
})
export class ExportCommand extends ThreadlineCommand<ExportFlags> {
  constructor(
    private readonly exports: ExportService,
    private readonly seals: ExportSeals,
    @Optional() private readonly checkpoints?: CheckpointService,
  ) {
    super();
  }

  protected async execute(_args: string[], flags: ExportFlags): Promise<void> {
    if (!flags.format) throw CommandUsageError.required('--format', EXPORT_FORMATS);
    const filters = filtersFromParams(flags);
    const manifestPath = flags.manifest ?? (flags.out ? `${flags.out}.manifest.json` : undefined);
    const sealedThrough = manifestPath ? await this.seals.head() : null;
    const createdAt = new Date().toISOString();
    const digest = new BodyDigest();
    const out: NodeJS.WritableStream = flags.out ? createWriteStream(flags.out) : process.stdout;
    const progress = ProgressLine.start();
    const meta = { returnedCount: 0, truncated: false };
    let shownThousands = 0;
    const onRow = (count: number) => {
      // redrawn on every thousand crossed, not on every chunk
      if (Math.floor(count / 1000) === shownThousands) return;
      shownThousands = Math.floor(count / 1000);
      progress.update(`exported ${count} changes`);
    };
    for await (const chunk of this.exports.chunks(
      filters,
      { format: flags.format, maxRows: null, onRow, csvFormulas: flags.csvFormulas },
      meta,
    )) {
      digest.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    if (flags.out) {
      out.end();
      await finished(out);
    }
    progress.done();
    if (manifestPath) {
      const sha256 = digest.hex();
      const signed = sealedThrough ? await this.checkpoints?.signExport(sealedThrough.seq, sha256) : null;
      const manifest: ExportManifest = {
        manifest_version: 1,
        format: flags.format,
        filters: describeFilters(normalizeFilters(filters)),
        row_count: meta.returnedCount,
        truncated: meta.truncated,
        bytes: digest.bytes,
        sha256,
        sealed_through: sealedThrough,
        ...(signed ? { signed_checkpoint: signed } : {}),
        created_at: createdAt,
      };
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    if (flags.out) process.stderr.write(exportWritten(meta.returnedCount, flags.out, manifestPath));
  }

  @Option({ flags: '--format <format>', description: EXPORT_FORMATS.join(', ') })
  parseFormat(value: string): string {
    return value;
  }
  @Option({
    flags: '--out <file>',
    description: 'write to a file instead of stdout (and FILE.manifest.json beside it)',
  })
  parseOut(value: string): string {
    return value;
  }
  @Option({
    flags: '--csv-formulas <mode>',
    description:
      'neutralize (default: a leading apostrophe on CSV cells starting with = + - @, tab or CR, so spreadsheets run no formula) or verbatim (for machine consumers)',
  })
  parseCsvFormulas(value: string): string {
    return value;
  }
  @Option({
    flags: '--manifest <path>',
    description: 'where to write the manifest (default with --out: FILE.manifest.json)',
  })
  parseManifest(value: string): string {
    return value;
  }
}

// One flag per timeline filter: `--correlation-id <id>` arrives as flags.correlationId, the filter's param.
for (const field of TIMELINE_FILTERS) {
  const flag = field.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  addFlag(ExportCommand, `--${flag} <${field.arg}>`, field.description, (value) => value);
}
