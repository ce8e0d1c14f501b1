import { commandOutput, ThreadlineError } from '@threadline/core';
import { createWriteStream } from 'fs';
import { Command, CommandRunner, Option } from 'nest-commander';
import { finished } from 'stream/promises';
import { EXPORT_FORMATS, ExportFormat, ExportService } from './export.service';
import { TimelineFilters } from './timeline-filters';

interface ExportFlags {
  format?: ExportFormat;
  table?: string;
  actor?: string;
  from?: string;
  to?: string;
  correlationId?: string;
  out?: string;
}

/** `export --format csv|json|ndjson [filters] [--out FILE]`: every matching change (no cap), streamed. */
@Command({ name: 'export', description: 'Export audit changes as CSV, JSON or NDJSON (same filters as the timeline)' })
export class ExportCommand extends CommandRunner {
  constructor(private readonly exports: ExportService) {
    super();
  }

  async run(_args: string[], flags: ExportFlags): Promise<void> {
    try {
      if (!flags.format) throw new ThreadlineError(`--format is required: one of ${EXPORT_FORMATS.join(', ')}`);
      const filters: TimelineFilters = {
        ...(flags.table && { table: flags.table }),
        ...(flags.actor && { actorRef: flags.actor }),
        ...(flags.from && { from: flags.from }),
        ...(flags.to && { to: flags.to }),
        ...(flags.correlationId !== undefined && { correlationId: flags.correlationId }),
      };
      const out: NodeJS.WritableStream = flags.out ? createWriteStream(flags.out) : process.stdout;
      // progress only for a person at a terminal; plain output when piped
      const showProgress = process.stderr.isTTY;
      const meta = { returnedCount: 0, truncated: false };
      for await (const chunk of this.exports.chunks(
        filters,
        { format: flags.format, maxRows: null, onRow: showProgress ? progressLine() : undefined },
        meta,
      )) {
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      if (flags.out) {
        out.end();
        await finished(out);
      }
      if (showProgress) process.stderr.write('\n');
      if (flags.out) process.stderr.write(`Exported ${meta.returnedCount} changes to ${flags.out}\n`);
    } catch (error) {
      commandOutput.fail(error);
    }
  }

  @Option({ flags: '--format <format>', description: 'csv, json or ndjson' })
  parseFormat(value: string): string {
    return value;
  }
  @Option({ flags: '--table <name>', description: 'table or schema.table' })
  parseTable(value: string): string {
    return value;
  }
  @Option({ flags: '--actor <type:id>', description: 'e.g. user:42' })
  parseActor(value: string): string {
    return value;
  }
  @Option({ flags: '--from <timestamp>', description: 'inclusive lower bound on captured_at' })
  parseFrom(value: string): string {
    return value;
  }
  @Option({ flags: '--to <timestamp>', description: 'inclusive upper bound on captured_at' })
  parseTo(value: string): string {
    return value;
  }
  @Option({ flags: '--correlation-id <id>', description: 'changes of one correlation' })
  parseCorrelationId(value: string): string {
    return value;
  }
  @Option({ flags: '--out <file>', description: 'write to a file instead of stdout' })
  parseOut(value: string): string {
    return value;
  }
}

/** A progress line for the terminal, called as each chunk of rows is written: redrawn on every thousand crossed, not on every chunk. */
function progressLine(): (count: number) => void {
  let shownThousands = 0;
  return (count) => {
    const thousands = Math.floor(count / 1000);
    if (thousands === shownThousands) return;
    shownThousands = thousands;
    process.stderr.write(`\rexported ${count} changes`);
  };
}
