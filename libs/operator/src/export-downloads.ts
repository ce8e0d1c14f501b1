import { Inject, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'http';
import { BodyDigest, CONTENT_TYPES, DEFAULT_EXPORT_MAX_ROWS, ExportSeals, ExportService } from '@threadline/export';
import { ExportQueryDto } from './audit-query.dto';
import { HttpPlatform, wantsHtml } from './http-platform';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import { exportsBusy } from './operator.messages';
import type { ResolvedOperatorOptions } from './operator.options';
import { errorPage } from './pages/layout';

/**
 * The `/export` download: streamed with its manifest as a header and trailers, at most
 * operator.maxConcurrentExports at once (429 beyond), closed when its client stops reading for
 * operator.exportStallSeconds.
 */
@Injectable()
export class ExportDownloads {
  /** Exports streaming now. */
  private streaming = 0;

  constructor(
    private readonly exports: ExportService,
    private readonly seals: ExportSeals,
    private readonly http: HttpPlatform,
    @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions,
  ) {}

  /** Streams the export the (validated) query asks for, or answers 429 when every slot is taken. */
  async send(query: ExportQueryDto, req: unknown, reply: unknown): Promise<void> {
    if (this.streaming >= this.options.maxConcurrentExports) return this.exportsBusy(req, reply);
    this.streaming++;
    try {
      await this.streamExport(query, reply);
    } finally {
      this.streaming--;
    }
  }

  /** 429 with Retry-After: every export slot streams (each holds a database connection while its client reads). */
  private exportsBusy(req: unknown, reply: unknown): void {
    const message = exportsBusy(this.options.maxConcurrentExports);
    this.http.setHeaders(reply, { 'retry-after': '5' });
    if (wantsHtml(req))
      return this.http.reply(reply, 429, errorPage('Too many exports at once', message, 'Try again in a few seconds.'));
    this.http.reply(reply, 429, { statusCode: 429, error: 'Too Many Requests', message });
  }

  private async streamExport(query: ExportQueryDto, reply: unknown): Promise<void> {
    const meta = { returnedCount: 0, truncated: false };
    const chunks = this.exports.chunks(
      query.toFilters(),
      { format: query.format, maxRows: query.maxRows ?? DEFAULT_EXPORT_MAX_ROWS, csvFormulas: query.csvFormulas },
      meta,
    );
    const first = await chunks.next(); // validation errors surface here, before any byte is sent
    // The export's manifest travels with it (docs/trust.md): the chain's head it was cut at as a header, and the
    // body's SHA-256, size and row count as trailers once the body has been sent.
    const sealedThrough = await this.seals.head().then(
      (head) => (head ? `${head.seq}:${head.chain_sha256}` : 'none'),
      // a header takes printable ASCII only: a localized server message must not turn the export into a 500
      (error: unknown) =>
        `unavailable (${error instanceof Error ? error.message : String(error)})`
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 200),
    );
    const digest = new BodyDigest();
    const res = this.http.takeOver(reply);
    res.statusCode = 200;
    res.setHeader('x-threadline-sealed-through', sealedThrough);
    res.setHeader('trailer', 'x-threadline-sha256, x-threadline-bytes, x-threadline-row-count');
    res.setHeader('content-type', CONTENT_TYPES[query.format]);
    res.setHeader(
      'content-disposition',
      `attachment; filename="audit-changes-${new Date().toISOString().replace(/[:.]/g, '-')}.${query.format}"`,
    );
    res.setHeader('x-threadline-max-rows', String(query.maxRows ?? DEFAULT_EXPORT_MAX_ROWS));
    try {
      for (let next = first; !next.done && !res.destroyed; next = await chunks.next()) {
        digest.update(next.value);
        if (!res.write(next.value) && !(await drainedOrClosed(res, this.options.exportStallSeconds * 1000))) {
          // a client that stopped reading would hold its slot, a connection and a snapshot for ever
          res.destroy();
          break;
        }
      }
    } finally {
      await chunks.return(undefined); // the client went away: stop the export and give its connection back now, not never
    }
    if (res.destroyed) return;
    res.addTrailers({
      'x-threadline-sha256': digest.hex(),
      'x-threadline-bytes': String(digest.bytes),
      'x-threadline-row-count': String(meta.returnedCount),
    });
    res.end();
  }
}

/**
 * Resolves true when the response can take more or the client has gone (a drain would never come), false when
 * the client read nothing for `stallMs`.
 */
function drainedOrClosed(res: ServerResponse, stallMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (moved: boolean) => () => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      resolve(moved);
    };
    const onDrain = done(true);
    const timer = setTimeout(done(false), stallMs);
    res.on('drain', onDrain);
    res.on('close', onDrain);
  });
}
