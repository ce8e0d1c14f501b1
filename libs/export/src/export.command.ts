import { addFlag, ProgressLine, ThreadlineCommand, ThreadlineError } from '@threadline/core';
import { createWriteStream } from 'fs';
import { Command, Option } from 'nest-commander';
import { finished } from 'stream/promises';
import { EXPORT_FORMATS, ExportFormat, ExportService } from './export.service';
import { filtersFromParams, TIMELINE_FILTERS } from './timeline-filters';

interface ExportFlags extends Record<string, unknown> {
  format?: ExportFormat;
  out?: string;
}

/**
 * `export --format csv|json|ndjson [filters] [--out FILE]`: every matching
 * change (no cap), streamed. The filter flags (`--table`, `--actor`,
 * `--from`, `--to`, `--correlation-id`) come from TIMELINE_FILTERS, below.
 */
@Command({ name: 'export', description: 'Export audit changes as CSV, JSON or NDJSON (same filters as the timeline)' })
export class ExportCommand extends ThreadlineCommand<ExportFlags> {
  constructor(private readonly exports: ExportService) {
    super();
  }

  protected async execute(_args: string[], flags: ExportFlags): Promise<void> {
    if (!flags.format) throw new ThreadlineError(`--format is required: one of ${EXPORT_FORMATS.join(', ')}`);
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
      filtersFromParams(flags),
      { format: flags.format, maxRows: null, onRow },
      meta,
    )) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    if (flags.out) {
      out.end();
      await finished(out);
    }
    progress.done();
    if (flags.out) process.stderr.write(`Exported ${meta.returnedCount} changes to ${flags.out}\n`);
  }

  @Option({ flags: '--format <format>', description: 'csv, json or ndjson' })
  parseFormat(value: string): string {
    return value;
  }
  @Option({ flags: '--out <file>', description: 'write to a file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }
}

// One flag per timeline filter: `--correlation-id <id>` arrives as flags.correlationId, the filter's param.
for (const field of TIMELINE_FILTERS) {
  const flag = field.param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  addFlag(ExportCommand, `--${flag} <${field.arg}>`, field.description, (value) => value);
}
