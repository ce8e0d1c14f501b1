/**
 * One round trip for a write made outside any transaction: the context's `set_config(..., true)` and the write go
 * to PostgreSQL as two extended-protocol statements before a single Sync. Statements before a Sync run in one
 * implicit transaction, so the settings hold for the write (its triggers read the actor) and vanish when it
 * commits, exactly as with START TRANSACTION ... COMMIT, without the two extra round trips. If the settings
 * statement fails, PostgreSQL skips the write.
 *
 * It needs node-postgres' JavaScript client (the one TypeORM loads; `pg-native` has no protocol messages to
 * send): `pgQueryClass` says whether it is there.
 */

type Callback = (error: Error | null, result?: unknown) => void;

/** The protocol messages of node-pg's connection used here. */
interface PgConnection {
  parse(query: { text: string }): void;
  bind(config: object): void;
  execute(config: object): void;
}

interface PgQuery {
  prepare(connection: PgConnection): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: PgConnection): void;
}

type PgQueryClass = new (
  config: { text: string; values: unknown[]; queryMode: 'extended' },
  values: undefined,
  callback: Callback,
) => PgQuery;

/** A connected node-pg client, as TypeORM's query runner holds it. */
export interface PgClient {
  query(config: unknown, values?: unknown): unknown;
  connection?: unknown;
}

const subclasses = new WeakMap<PgQueryClass, PgQueryClass & (new (...args: never[]) => { settingsSql: string })>();

/** node-pg's Query class from the driver module TypeORM loaded, when it is the JavaScript client's. */
export function pgQueryClass(driverModule: unknown): PgQueryClass | undefined {
  const Query: unknown = (driverModule as { Query?: unknown } | undefined)?.Query;
  return typeof Query === 'function' && typeof (Query.prototype as Partial<PgQuery>)?.prepare === 'function'
    ? (Query as PgQueryClass)
    : undefined;
}

function withSettingsClass(Query: PgQueryClass) {
  let subclass = subclasses.get(Query);
  if (!subclass) {
    subclass = class WithSettings extends Query {
      settingsSql = '';
      private settled = false;

      override prepare(connection: PgConnection): void {
        // unnamed statement and portal, no Describe and no Sync: the write's own messages and Sync follow
        connection.parse({ text: this.settingsSql });
        connection.bind({});
        connection.execute({});
        super.prepare(connection);
      }

      // the settings statement's row and command tag are not the write's result
      override handleDataRow(message: unknown): void {
        if (this.settled) super.handleDataRow(message);
      }

      override handleCommandComplete(message: unknown, connection: PgConnection): void {
        if (this.settled) return super.handleCommandComplete(message, connection);
        this.settled = true;
      }
    };
    subclasses.set(Query, subclass);
  }
  return subclass;
}

interface Waiting {
  sql: string;
  settingsSql: string;
  Query: PgQueryClass;
}

/** Writes waiting to go out with their settings, per client, by their parameter array (TypeORM passes it on as is). */
const pending = new WeakMap<PgClient, Map<unknown[], Waiting[]>>();

/**
 * Makes the client's `query(sql, parameters)` call for this very `parameters` array (the one TypeORM is about to
 * send) carry `settingsSql` in the same round trip; every other call passes through unchanged, so concurrent
 * queries on one client each keep their own. The client's `query` is wrapped once and stays wrapped (a pass-through
 * when nothing waits). Returns the function that withdraws the request (call it once the query is done).
 */
export function sendSettingsFirst(
  client: PgClient,
  Query: PgQueryClass,
  settingsSql: string,
  sql: string,
  parameters: unknown[],
): () => void {
  const waiting = pending.get(client) ?? wrap(client);
  const request: Waiting = { sql, settingsSql, Query };
  waiting.set(parameters, [...(waiting.get(parameters) ?? []), request]);
  return () => withdraw(waiting, parameters, request);
}

function withdraw(waiting: Map<unknown[], Waiting[]>, parameters: unknown[], request: Waiting): void {
  const left = (waiting.get(parameters) ?? []).filter((r) => r !== request);
  if (left.length) waiting.set(parameters, left);
  else waiting.delete(parameters);
}

function wrap(client: PgClient): Map<unknown[], Waiting[]> {
  const waiting = new Map<unknown[], Waiting[]>();
  pending.set(client, waiting);
  const original = client.query;
  client.query = function (this: PgClient, ...args: unknown[]) {
    const [config, values] = args;
    const request = Array.isArray(values) ? waiting.get(values)?.find((r) => r.sql === config) : undefined;
    if (!request || args.length > 2) return original.apply(this, args as never);
    withdraw(waiting, values as unknown[], request);
    return new Promise((resolve, reject) => {
      const WithSettings = withSettingsClass(request.Query);
      const config = { text: request.sql, values: values as unknown[], queryMode: 'extended' as const };
      const query = new WithSettings(config, undefined, (e, r) => (e ? reject(e) : resolve(r)));
      (query as unknown as { settingsSql: string }).settingsSql = request.settingsSql;
      original.call(this, query);
    });
  };
  return waiting;
}
