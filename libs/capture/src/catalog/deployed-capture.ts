import type { ResolvedCaptureOptions, ResolvedTableCaptureOptions } from '../capture.options';
import { ddlEventTriggerName, LAYOUT_FUNCTION, SIGNATURE_FUNCTION } from '../schema/capture-functions.sql';
import { cliCommand, qualified, SqlQueryable } from '@threadline/core';
import { parseStamp, TriggerStamp } from '../trigger/trigger-stamp';
import { triggerNameFor } from '../trigger/trigger-names';

/** What the database holds for one table's capture, read in one round trip with the others. */
export interface DeployedCapture {
  schema: string;
  table: string;
  tableExists: boolean;
  /** No capture function of this table's name exists. */
  deployed: boolean;
  /** The parsed stamp; undefined when the function has none (or it is not valid JSON). */
  stamp?: TriggerStamp;
  /** The function body still hashes to its stamp. */
  bodyMatches: boolean;
  /** The table's column signature now (`name:type`, as the stamp records it). */
  signature?: string;
  /** The table's exact column layout now (attribute number, type, name), as v4 stamps record it. */
  layout?: string;
  /** The table's relation id now (an id, as text). */
  relid?: string;
  /** The DDL event trigger of the audit schema exists and fires (enabled, or enabled always). */
  ddlTriggerFires: boolean;
  /** The function runs with its owner's rights (SECURITY DEFINER) and a pinned search_path. */
  ownersRights: boolean;
  /** EXECUTE on the function is granted to PUBLIC: any role could attach it to a table of its own. */
  publicExecute: boolean;
  /** Partitions below the table that lack an enabled trigger of its capture function. */
  partitionsWithoutCapture: string[];
  /** Tables outside its partition tree whose triggers still call its capture function (a partition detached since). */
  outsideWithCapture: string[];
}

/** Reads the deployed capture function, stamp and partitions of each table. */
export async function readDeployedCapture(
  db: SqlQueryable,
  auditSchema: string,
  tables: { schema: string; table: string }[],
): Promise<DeployedCapture[]> {
  if (tables.length === 0) return [];
  const rows: {
    ord: string;
    table_exists: boolean;
    body_sha256: string | null;
    stamp: string | null;
    signature: string | null;
    layout: string | null;
    relid: string | null;
    ddl_trigger_fires: boolean;
    partitions_without_capture: string[] | null;
    outside_with_capture: string[] | null;
    owners_rights: boolean | null;
    public_execute: boolean | null;
  }[] = await db.query(
    `SELECT x.ord, c.oid IS NOT NULL AS table_exists, encode(sha256(convert_to(p.prosrc, 'UTF8')), 'hex') AS body_sha256, obj_description(p.oid, 'pg_proc') AS stamp,
       p.prosecdef AND coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=pg_catalog%', false) AS owners_rights,
       EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS g
               WHERE g.grantee = 0 AND g.privilege_type = 'EXECUTE') AS public_execute,
       CASE WHEN c.oid IS NOT NULL THEN ${qualified(auditSchema, SIGNATURE_FUNCTION)}(c.oid) END AS signature,
       CASE WHEN c.oid IS NOT NULL THEN ${qualified(auditSchema, LAYOUT_FUNCTION)}(c.oid) END AS layout,
       c.oid::text AS relid,
       EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = $4 AND evtenabled IN ('O', 'A')) AS ddl_trigger_fires,
       (SELECT array_agg(pn.nspname || '.' || pc.relname ORDER BY pn.nspname, pc.relname)
        FROM pg_partition_tree(c.oid) AS t
        JOIN pg_class pc ON pc.oid = t.relid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE t.relid <> c.oid
          AND (SELECT count(*) FROM pg_trigger tg WHERE tg.tgrelid = t.relid AND tg.tgfoid = p.oid AND tg.tgenabled <> 'D'
                 AND tg.tgname IN (x.f, x.f || '_update', x.f || '_delete', x.f || '_trunc')) < 4) AS partitions_without_capture,
       (SELECT array_agg(DISTINCT tn.nspname || '.' || tc.relname)
        FROM pg_trigger tg JOIN pg_class tc ON tc.oid = tg.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
        WHERE tg.tgfoid = p.oid AND tg.tgrelid <> c.oid
          AND tg.tgrelid NOT IN (SELECT t.relid FROM pg_partition_tree(c.oid) AS t)) AS outside_with_capture
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(s, t, f, ord)
     LEFT JOIN pg_namespace n ON n.nspname = x.s
     LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = x.t AND c.relkind IN ('r', 'p')
     LEFT JOIN pg_proc p ON p.pronamespace = n.oid AND p.proname = x.f AND p.pronargs = 0
     ORDER BY x.ord`,
    [
      tables.map((t) => t.schema),
      tables.map((t) => t.table),
      tables.map((t) => triggerNameFor(t.table)),
      ddlEventTriggerName(auditSchema),
    ],
  );
  return tables.map((t, i) => {
    const row = rows[i];
    const stamp = parseStamp(row?.stamp ?? null);
    return {
      schema: t.schema,
      table: t.table,
      tableExists: !!row?.table_exists,
      deployed: !!row?.body_sha256,
      stamp,
      bodyMatches: !!row?.body_sha256 && !!stamp && row.body_sha256 === stamp.bodySha256,
      signature: row?.signature ?? undefined,
      layout: row?.layout ?? undefined,
      relid: row?.relid ?? undefined,
      ddlTriggerFires: !!row?.ddl_trigger_fires,
      ownersRights: !!row?.owners_rights,
      publicExecute: !!row?.public_execute,
      partitionsWithoutCapture: row?.partitions_without_capture ?? [],
      outsideWithCapture: row?.outside_with_capture ?? [],
    };
  });
}

/** Why deployed capture cannot be read at all (then nothing about it can be trusted); undefined when it can. */
export function unreadableReason(deployed: DeployedCapture): string | undefined {
  if (!deployed.tableExists) return 'the table does not exist';
  if (!deployed.deployed)
    return `no Threadline capture function is deployed for this table; run ${cliCommand('gen-triggers')} and apply the migration it writes`;
  if (!deployed.stamp)
    return `the capture function carries no Threadline stamp (created by hand or by an older version); regenerate it with ${cliCommand('gen-triggers')}`;
  if (!deployed.bodyMatches)
    return `the capture function was changed outside Threadline (its body no longer matches its stamp); regenerate it with ${cliCommand('gen-triggers')}`;
  return undefined;
}

/**
 * Every way a table's deployed capture differs from what the configuration
 * asks for, or from the table as it is now; each entry says what and how to
 * fix it. Empty when deployed capture matches.
 */
export function captureDifferences(
  configured: ResolvedTableCaptureOptions,
  global: Pick<ResolvedCaptureOptions, 'maskPlaceholder' | 'recordNoopUpdates' | 'captureInReplicaRole'>,
  deployed: DeployedCapture,
): string[] {
  const unreadable = unreadableReason(deployed);
  if (unreadable) return [unreadable];
  const stamp = deployed.stamp!;
  const renames = stamp.version === 1 ? NO_RENAMES : renamesOf(stamp);
  const differences = [
    ...listDifference('exclude', configured.exclude, stamp.exclude, renames.exclude),
    ...listDifference('mask', configured.mask, stamp.mask, renames.mask),
    ...listDifference('exceptColumns', configured.exceptColumns, stamp.exceptColumns, renames.exceptColumns),
    ...(global.maskPlaceholder !== stamp.maskPlaceholder ? ['maskPlaceholder differs'] : []),
    ...(configured.storeChangedFrom !== stamp.storeChangedFrom
      ? [`storeChangedFrom: configured ${configured.storeChangedFrom}, deployed ${stamp.storeChangedFrom}`]
      : []),
    ...(global.captureInReplicaRole !== (stamp.captureInReplicaRole ?? false)
      ? [
          `captureInReplicaRole: configured ${global.captureInReplicaRole}, deployed ${stamp.captureInReplicaRole ?? false}`,
        ]
      : []),
    ...(global.recordNoopUpdates !== stamp.recordNoopUpdates
      ? [`recordNoopUpdates: configured ${global.recordNoopUpdates}, deployed ${stamp.recordNoopUpdates}`]
      : []),
  ];
  if (!deployed.ownersRights) {
    differences.push(
      `the capture function runs with the writer's rights (not SECURITY DEFINER with a pinned search_path), so writers need write access to the audit tables; regenerate it with ${cliCommand('gen-triggers')} or run the install migration again`,
    );
  }
  if (deployed.publicExecute) {
    differences.push(
      `EXECUTE on the capture function is granted to PUBLIC: any role could attach it to a table of its own and forge audit rows; REVOKE ALL ON FUNCTION ... FROM PUBLIC, or regenerate it with ${cliCommand('gen-triggers')}`,
    );
  }
  if (stamp.version === 1) {
    differences.push(
      `generated by an older Threadline (stamp v1) that does not follow schema changes; regenerate it with ${cliCommand('gen-triggers')}`,
    );
  } else {
    // What the function applies now, against the configured names: a column renamed since deployment keeps its
    // redaction under its new name, and a configured name that is no longer a column redacts nothing.
    for (const [setting, applied] of [
      ['exclude', stamp.excludedColumns ?? []],
      ['mask', stamp.maskedColumns ?? []],
      ['exceptColumns', stamp.exceptedColumns ?? []],
    ] as const) {
      const names = configured[setting];
      const unclassified = setting === 'mask' ? (stamp.unclassifiedColumns ?? []) : [];
      // A rename is said as one (the same words in verify-coverage, policy show, the pages and gen-triggers).
      for (const { from, to } of renames[setting]) {
        differences.push(
          names.includes(to)
            ? `${setting}: ${from} was renamed to ${to}; capture applies ${setting} to it under its new name already (it follows the column, not the name); run ${cliCommand('gen-triggers')} so deployed capture names ${to} too`
            : `${setting}: ${from} was renamed to ${to}; capture still applies ${setting} to it under its new name (it follows the column, not the name); name ${to} instead of ${from} in capture.tables and run ${cliCommand('gen-triggers')}`,
        );
      }
      const paired = new Set(renames[setting].flatMap((r) => [r.from, r.to]));
      const renamed = applied.filter(
        (c) => !names.includes(c) && !stamp[setting].includes(c) && !unclassified.includes(c) && !paired.has(c),
      );
      const stillUnclassified = unclassified.filter((c) => !names.includes(c));
      if (stillUnclassified.length)
        differences.push(
          `mask: column(s) ${stillUnclassified.join(', ')} added after capture was last generated from capture.tables, on a table with redaction, are masked until the configuration says what they are: name them under mask or exclude (or leave them out to store them in clear) and regenerate with ${cliCommand('gen-triggers')}`,
        );
      const gone = names.filter((c) => !applied.includes(c) && stamp[setting].includes(c) && !paired.has(c));
      if (renamed.length)
        differences.push(
          `${setting}: deployed capture applies it to ${renamed.join(', ')} (a renamed or re-added column), which capture.tables does not name; update capture.tables and regenerate with ${cliCommand('gen-triggers')}`,
        );
      if (gone.length)
        differences.push(
          `${setting}: ${gone.join(', ')} ${gone.length > 1 ? 'are' : 'is'} no longer a column of the table; update capture.tables and regenerate with ${cliCommand('gen-triggers')}`,
        );
    }
    const columnsChanged =
      (deployed.signature !== undefined && stamp.columnSignature !== deployed.signature) ||
      (stamp.columnLayout !== undefined && deployed.layout !== undefined && stamp.columnLayout !== deployed.layout);
    if (columnsChanged) {
      differences.push(
        stamp.guarded
          ? `the table's columns changed since its capture function was generated and no DDL event trigger regenerated it: writes are still recorded, but every column capture cannot classify (added, renamed, or re-added since) is masked until you run ${cliCommand('gen-triggers')} and apply the migration it writes`
          : `the table's columns changed since its capture function was generated (the DDL event trigger did not regenerate it); run ${cliCommand('gen-triggers')} and apply the migration it writes`,
      );
    }
    if (
      stamp.guarded &&
      stamp.relid !== undefined &&
      deployed.relid !== undefined &&
      String(stamp.relid) !== deployed.relid
    ) {
      differences.push(
        `the capture function was generated for another copy of this table (restored from a dump into another database or cluster, or the table was recreated): writes are still recorded, but every column the configuration does not name is masked until you run ${cliCommand('gen-triggers')} and apply the migration it writes`,
      );
    }
    if (stamp.guarded === false && !deployed.ddlTriggerFires) {
      differences.push(
        `the capture function was generated to rely on the DDL event trigger, which is now disabled or dropped: a column change would not be followed (a renamed masked column would be stored in clear). Enable the trigger again (ALTER EVENT TRIGGER ... ENABLE ALWAYS) or run ${cliCommand('gen-triggers')} and apply the migration it writes, so the function guards itself`,
      );
    }
  }
  if (deployed.outsideWithCapture.length) {
    differences.push(
      `${deployed.outsideWithCapture.join(', ')} ${deployed.outsideWithCapture.length > 1 ? 'are' : 'is'} no longer part of this table (a detached partition) but still ${deployed.outsideWithCapture.length > 1 ? 'carry' : 'carries'} its capture triggers: writes there are recorded under this table's name; run ${cliCommand('gen-triggers')} and apply the migration it writes`,
    );
  }
  if (deployed.partitionsWithoutCapture.length) {
    differences.push(
      `partition(s) ${deployed.partitionsWithoutCapture.join(', ')} have no capture triggers: writes that name them are not recorded; run ${cliCommand('gen-triggers')} and apply the migration it writes`,
    );
  }
  return differences;
}

type Setting = 'exclude' | 'mask' | 'exceptColumns';
type Renames = Record<Setting, { from: string; to: string }[]>;
const NO_RENAMES: Renames = { exclude: [], mask: [], exceptColumns: [] };

/**
 * The renames the deployed function followed: a configured name that is no
 * longer a column, and a column it applies the setting to that no
 * configured name names (not one added since). One of each is a rename;
 * several are listed as they are, since nothing pairs them.
 */
function renamesOf(stamp: TriggerStamp): Renames {
  const pairs = (setting: Setting, applied: string[]): { from: string; to: string }[] => {
    const unclassified = setting === 'mask' ? (stamp.unclassifiedColumns ?? []) : [];
    const from = stamp[setting].filter((c) => !applied.includes(c));
    const to = applied.filter((c) => !stamp[setting].includes(c) && !unclassified.includes(c));
    return from.length === 1 && to.length === 1 ? [{ from: from[0]!, to: to[0]! }] : [];
  };
  return {
    exclude: pairs('exclude', stamp.excludedColumns ?? []),
    mask: pairs('mask', stamp.maskedColumns ?? []),
    exceptColumns: pairs('exceptColumns', stamp.exceptedColumns ?? []),
  };
}

function listDifference(
  setting: string,
  configured: string[],
  deployed: string[],
  renames: { from: string; to: string }[] = [],
): string[] {
  const paired = new Set(renames.flatMap((r) => [r.from, r.to]));
  const missing = configured.filter((c) => !deployed.includes(c) && !paired.has(c));
  const extra = deployed.filter((d) => !configured.includes(d) && !paired.has(d));
  return [
    ...(missing.length ? [`${setting}: deployed lacks ${missing.join(', ')}`] : []),
    ...(extra.length ? [`${setting}: deployed also has ${extra.join(', ')}`] : []),
  ];
}
