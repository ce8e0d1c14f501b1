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

/**
 * Makes the client's next `query(sql, parameters)` (the one TypeORM is about to send) carry `settingsSql` in the
 * same round trip; any other call passes through. Returns the function that undoes it (call it once the query is
 * done, whether or not it was sent).
 */
export function sendSettingsFirst(
  client: PgClient,
  Query: PgQueryClass,
  settingsSql: string,
  sql: string,
  parameters: unknown[],
): () => void {
  const hadOwn = Object.prototype.hasOwnProperty.call(client, 'query');
  const original = client.query;
  const restore = () => {
    if (hadOwn) client.query = original;
    else delete (client as Partial<PgClient>).query;
  };
  client.query = function (this: PgClient, config: unknown, values?: unknown) {
    if (config !== sql || values !== parameters) return original.call(this, config, values);
    restore();
    return new Promise((resolve, reject) => {
      const WithSettings = withSettingsClass(Query);
      const query = new WithSettings({ text: sql, values: parameters, queryMode: 'extended' }, undefined, (e, r) =>
        e ? reject(e) : resolve(r),
      );
      (query as unknown as { settingsSql: string }).settingsSql = settingsSql;
      original.call(this, query);
    });
  };
  return restore;
}
