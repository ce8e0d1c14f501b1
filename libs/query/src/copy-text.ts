import { to as copyTo } from 'pg-copy-streams';
import { StringDecoder } from 'string_decoder';
import { DataSource } from 'typeorm';
import { CopyStoppedError } from './query.errors';

/**
 * Streams what `COPY (sql) TO STDOUT` writes, as text chunks, on a connection of its own: each line is one
 * row's single text column verbatim. A connection stopped early (the reader went away) is closed, not pooled.
 */
export async function* copyText(dataSource: DataSource, sql: string): AsyncGenerator<string> {
  const driver = dataSource.driver as unknown as {
    obtainMasterConnection(): Promise<[CopyClient, (error?: unknown) => void]>;
  };
  const [client, release] = await driver.obtainMasterConnection();
  // CSV format with delimiter and quote bytes that JSON text never holds raw (it escapes control characters): each line arrives verbatim
  const stream: NodeJS.ReadableStream = client.query(
    copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`),
  );
  const decoder = new StringDecoder('utf8');
  let finished = false;
  // A connection checked out of the pool has no 'error' listener of its own (the pool listens only while it is
  // idle): a backend terminated mid-COPY (failover, pooler restart, pg_terminate_backend) would emit an unhandled
  // 'error' and end the whole process. The stream fails too, so the export fails with the reason instead.
  let connectionError: unknown;
  const onConnectionError = (error: unknown) => (connectionError = error);
  client.on('error', onConnectionError);
  try {
    for await (const chunk of stream) {
      const text = decoder.write(chunk as Buffer);
      if (text) yield text;
    }
    if (connectionError) throw connectionError;
    finished = true;
  } finally {
    // stopped early (the client went away, or maxRows reached): the connection is still mid-COPY, so close it rather than pool it
    release(finished ? undefined : (connectionError ?? CopyStoppedError.create()));
    client.removeListener('error', onConnectionError);
  }
}

/** The part of node-pg's client a COPY needs. */
interface CopyClient {
  query(stream: ReturnType<typeof copyTo>): NodeJS.ReadableStream;
  on(event: 'error', listener: (error: unknown) => void): void;
  removeListener(event: 'error', listener: (error: unknown) => void): void;
}
