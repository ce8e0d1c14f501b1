import { ddlEventTriggerName, LAYOUT_FUNCTION, SIGNATURE_FUNCTION } from '../schema/capture-functions.sql';
import { qualified, SqlQueryable } from '@threadline/core';
import { unreadableTexts } from '../capture.messages';
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
  if (!deployed.tableExists) return unreadableTexts.noTable();
  if (!deployed.deployed) return unreadableTexts.notDeployed();
  if (!deployed.stamp) return unreadableTexts.noStamp();
  if (!deployed.bodyMatches) return unreadableTexts.bodyChanged();
  return undefined;
}
