import { isoUtc, literal, qualified } from '@threadline/core';
import { BASELINE_SOURCE } from '../trigger/snapshot-sql';

// How seals hash what they seal: the expressions the sealer (sql/005-seal-functions.sql writes them out)
// and the integrity check (at run time, from here) both compute. install-sql.spec.ts checks the two agree.

/** One row per sealed audit transaction, in chain order. */
export const SEALS_TABLE = 'audit_seals';
/**
 * What each retention purge removed from sealed transactions, one row per
 * wholly removed transaction (`change_id` NULL) or per change removed from
 * one that remains (with the change's hash): what lets verification still
 * recompute what remains. Written by RECORD_PURGE_FUNCTION, and itself
 * sealed: each purge batch appends a `purge` seal whose content hashes its rows.
 */
export const PURGED_TABLE = 'audit_purged';
/**
 * SQL: `t` is a baseline still being written (its snapshots arrive over many
 * database transactions). It is sealed once complete: completing it stamps
 * its txid anew, so the next sealer run finds it.
 */
export function openBaselineSql(t = 't'): string {
  return `(${t}.source IS NOT DISTINCT FROM ${literal(BASELINE_SOURCE)} AND NOT coalesce(${t}.meta ? 'completed_at', false))`;
}

/**
 * How a seal's content hash is computed. 1: schema v4 and before (the
 * transaction row, its linked action, and every change as one text: a
 * transaction over about 1 GB of images could not be sealed). 2: schema v5
 * (see sealContentSql).
 */
export const SEAL_FORMAT = 2;
/**
 * The format a transaction is sealed in when one of its changes cannot be
 * written as text within PostgreSQL's 1 GB limit (jsonb escapes a control
 * character as six bytes, so a 185 MB value can): the same content hash,
 * with each change hashed value by value (JSONB_HASH_FUNCTION) instead of
 * as one text. Only such transactions pay for it.
 */
export const SEAL_FORMAT_LARGE = 3;
/** `threadline_jsonb_sha256(jsonb)`: a jsonb value's hash, built value by value, never as one text. */
export const JSONB_HASH_FUNCTION = 'threadline_jsonb_sha256';

const utc = (column: string) => `to_jsonb(${column} AT TIME ZONE 'UTC')`;

/** SQL (bytea): SHA-256 of one change row `c` in canonical form (jsonb text: key order and spacing are fixed). */
export function changeHashSql(c = 'c'): string {
  return `sha256(convert_to(${changeTextSql(c)}, 'UTF8'))`;
}

/** SQL (text): change row `c` in the canonical form its hash (format 2) is taken of: what a proof of one change carries. */
export function changeTextSql(c = 'c'): string {
  return `jsonb_build_array(${c}.id, ${c}.table_schema, ${c}.table_name, ${c}.op, ${c}.table_pk, ${c}.previous_pk, ${c}.data_after, ${c}.changed_fields::text, ${c}.changed_from, ${utc(`${c}.captured_at`)}, ${nullFlagsSql([`${c}.previous_pk`, `${c}.data_after`, `${c}.changed_from`])})::text`;
}

/** SQL (text): transaction row `t` in the canonical form its hash (formats 2 and 3) is taken of. */
export function transactionTextSql(t = 't'): string {
  return `jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id, ${nullFlagsSql([`${t}.meta`, `${t}.actor_ref`])})::text`;
}

/** SQL (bytea): the actions part of transaction `t`'s content hash (formats 2 and 3). */
export function actionsDigestSql(auditSchema: string, t = 't'): string {
  return `CASE WHEN ${t}.action_id IS NULL THEN ${EMPTY_SHA256}
          ELSE sha256(coalesce((SELECT string_agg(${actionHashSql('a')}, ''::bytea ORDER BY a.inserted_at, a.id)
                                FROM ${qualified(auditSchema, 'audit_actions')} AS a WHERE a.transaction_id = ${t}.id), ''::bytea)) END`;
}

/**
 * SQL: which of the jsonb `columns` are SQL NULL, as one text of 0s and 1s. In a jsonb array SQL NULL and
 * JSON null both read `null`: without it a NULL could be swapped for 'null'::jsonb unseen. (Arrays are
 * hashed as their text, which keeps their bounds.)
 */
function nullFlagsSql(columns: string[]): string {
  return columns.map((column) => `(${column} IS NULL)::int::text`).join(' || ');
}

/**
 * SQL (bytea): SHA-256 of one change row `c` for SEAL_FORMAT_LARGE: its
 * scalar fields as a jsonb array, then each jsonb field hashed value by value.
 */
export function largeChangeHashSql(auditSchema: string, c = 'c'): string {
  const j = (column: string) =>
    `coalesce(${qualified(auditSchema, JSONB_HASH_FUNCTION)}(${c}.${column}), sha256(''::bytea))`;
  return `sha256(sha256(convert_to(jsonb_build_array(${c}.id, ${c}.table_schema, ${c}.table_name, ${c}.op, ${c}.changed_fields::text, ${utc(`${c}.captured_at`)})::text, 'UTF8'))
    || ${j('table_pk')} || ${j('previous_pk')} || ${j('data_after')} || ${j('changed_from')})`;
}

/**
 * SQL (bytea or NULL): the hash a purge records for change `c` it deletes:
 * in the format its transaction was sealed in (none for a seal made before
 * v5, or a transaction not sealed yet).
 */
export function ledgerHashSql(auditSchema: string, c = 'c'): string {
  return `CASE (SELECT x.format FROM ${qualified(auditSchema, SEALS_TABLE)} AS x WHERE x.transaction_id = ${c}.transaction_id)
    WHEN ${SEAL_FORMAT} THEN ${changeHashSql(c)} WHEN ${SEAL_FORMAT_LARGE} THEN ${largeChangeHashSql(auditSchema, c)} END`;
}

/** SQL (bytea): SHA-256 of one action row `a` in canonical form. */
export function actionHashSql(a = 'a'): string {
  return `sha256(convert_to(jsonb_build_array(${a}.id, ${a}.name, ${a}.actor_ref, ${a}.status, ${a}.verb, ${a}.category, ${a}.reason, ${a}.comment, ${a}.correlation_id, ${a}.request_id, ${a}.job_id, ${utc(`${a}.inserted_at`)}, ${a}.transaction_id)::text, 'UTF8'))`;
}

/**
 * SQL: a LATERAL subquery over the changes of the audit transaction whose id
 * is `transactionId` (an SQL expression), read once: `changes` (how many)
 * and `change_hashes` (their hashes in id order, concatenated; NULL when
 * none). Join it as `d` for sealContentSql.
 */
export function changeDigestSql(auditSchema: string, transactionId = 't.id', format: 2 | 3 = SEAL_FORMAT): string {
  const hash = format === SEAL_FORMAT_LARGE ? largeChangeHashSql(auditSchema, 'c') : changeHashSql('c');
  return `(SELECT count(*)::int AS changes, string_agg(${hash}, ''::bytea ORDER BY c.id) AS change_hashes
  FROM ${qualified(auditSchema, 'audit_changes')} AS c WHERE c.transaction_id = ${transactionId})`;
}

/**
 * SQL: changeDigestSql for verification of seal `sealSeq`: the hashes of the
 * transaction's changes still present merged, in id order, with those a
 * purge recorded for it (PURGED_TABLE), so what remains of a partly purged
 * transaction recomputes to what was sealed. `changes` counts the present
 * ones, `purged_changes` the recorded ones. On an `archive`, which keeps
 * what its source purged (and receives its ledger), the ledger excuses
 * nothing: the transaction recomputes from the changes present alone.
 */
// prettier-ignore
export function verifyDigestSql(auditSchema: string, transactionId: string, sealSeq: string, format: string, archive = false): string {
  return `(SELECT (count(*) FILTER (WHERE u.present))::int AS changes, (count(*) FILTER (WHERE NOT u.present))::int AS purged_changes,
    string_agg(u.h, ''::bytea ORDER BY u.id) AS change_hashes
  FROM (SELECT c.id, CASE ${format} WHEN ${SEAL_FORMAT_LARGE} THEN ${largeChangeHashSql(auditSchema, 'c')} WHEN ${SEAL_FORMAT} THEN ${changeHashSql('c')} END AS h,
          true AS present FROM ${qualified(auditSchema, 'audit_changes')} AS c WHERE c.transaction_id = ${transactionId}
        UNION ALL
        SELECT p.change_id, p.change_sha256, false FROM ${qualified(auditSchema, PURGED_TABLE)} AS p
        WHERE p.seal_seq = ${sealSeq} AND p.change_id IS NOT NULL${archive ? ' AND false' : ''}) AS u)`;
}

/**
 * sha256 of no bytes: the actions part of a transaction that has none (`action_id` is NULL: every action
 * recorded sets it, so the probe is skipped; verification reports an action whose transaction has no
 * `action_id`). Written with decode(), not a '\\x...' literal, whose meaning a session's
 * standard_conforming_strings would change.
 */
const EMPTY_SHA256 = `decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex')`;

/**
 * SQL (bytea): the SHA-256 of one audit transaction's content, for the
 * `audit_transactions` row aliased `t` and its changeDigestSql row `d`, in
 * the current format (2):
 *
 *   sha256( sha256(row) || sha256(action hashes) || sha256(change hashes) )
 *
 * where `row` is the transaction row as a jsonb array, the action hashes
 * are those of every action recorded in the transaction (by time, then id;
 * none are looked up when `action_id`, part of `row`, is NULL) and
 * the change hashes those of its changes in id order (changeHashSql).
 * Hashing each change on its own keeps memory bounded by 32 bytes a change,
 * whatever the size of the images. Times are written in UTC, so the
 * session's TimeZone and DateStyle do not matter.
 *
 * The same expression seals (threadline_seal) and verifies (the integrity
 * check), so what is hashed is defined once. Format 3 is the same
 * expression over a digest of SEAL_FORMAT_LARGE change hashes. `format` 1
 * gives the expression seals of schema v4 and before were made with (it
 * reads the changes itself, not `d`).
 */
export function sealContentSql(auditSchema: string, t = 't', format: 1 | 2 | 3 = SEAL_FORMAT, d = 'd'): string {
  const s = (name: string) => qualified(auditSchema, name);
  if (format === 1)
    return `sha256(convert_to(
  jsonb_build_array(${t}.id, ${t}.txid, ${utc(`${t}.occurred_at`)}, ${t}.source, ${t}.meta, ${t}.actor_ref, ${t}.correlation_id, ${t}.request_id, ${t}.action_id)::text
  || coalesce((SELECT E'\\n' || jsonb_build_array(a.name, a.actor_ref, a.status, a.verb, a.category, a.reason, a.comment, a.correlation_id, a.request_id, a.job_id, ${utc('a.inserted_at')})::text
               FROM ${s('audit_actions')} AS a WHERE a.id = ${t}.action_id), '')
  || coalesce((SELECT string_agg(E'\\n' || jsonb_build_array(c.id, c.table_schema, c.table_name, c.op, c.table_pk, c.previous_pk, c.data_after, c.changed_fields, c.changed_from, ${utc('c.captured_at')})::text, '' ORDER BY c.id)
               FROM ${s('audit_changes')} AS c WHERE c.transaction_id = ${t}.id), ''),
  'UTF8'))`;
  return `sha256(
  sha256(convert_to(${transactionTextSql(t)}, 'UTF8'))
  || ${actionsDigestSql(auditSchema, t)}
  || sha256(coalesce(${d}.change_hashes, ''::bytea)))`;
}

/** SQL (bytea): the content hash of seal `seal` recomputed from transaction row `t` (and digest `d`), in the seal's own format. */
export function sealContentForSql(auditSchema: string, seal = 's', t = 't', d = 'd'): string {
  return `CASE ${seal}.format WHEN 1 THEN ${sealContentSql(auditSchema, t, 1)} ELSE ${sealContentSql(auditSchema, t, 2, d)} END`;
}

/**
 * The chain: seal n's hash is SHA-256 of seal n-1's hash (32 zero bytes
 * before the first), the text `<n>:<transaction id>` (`purge` for a purge
 * seal), and the content hash. From v5 the text also names the seal's
 * format and change count, `<n>:<id>:<format>:<count>`, so neither can be
 * changed afterwards (a seal turned to format 1 would otherwise be verified
 * by the older, looser rules). Written here for SQL; the integrity check
 * recomputes it in Node the same way (chainLinkText).
 */
export function chainStepSql(
  previous: string,
  seq: string,
  transactionId: string,
  content: string,
  format: string,
  changeCount: string,
): string {
  return `sha256(${previous} || convert_to((${seq})::text || ':' || (${transactionId})::text || ':' || (${format})::text || ':' || (${changeCount})::text, 'UTF8') || ${content})`;
}

/** The text of a chain link, as chainStepSql writes it (format 1 seals: `<n>:<id>` only). */
export function chainLinkText(seq: number, transactionId: string | null, format: number, changeCount: number): string {
  const id = transactionId ?? 'purge';
  return format === 1 ? `${seq}:${id}` : `${seq}:${id}:${format}:${changeCount}`;
}

/**
 * A seal's leaf in the Merkle tree over the seals (schema v8): its link text and content hash, so a leaf
 * depends on its own seal only. Its hash is SHA-256(0x00 || this) (RFC 6962); threadline_tree_grow
 * (sql/005-seal-functions.sql) writes the same bytes in SQL.
 */
export function sealLeafData(
  seq: number,
  transactionId: string | null,
  format: number,
  changeCount: number,
  content: Buffer,
): Buffer {
  return Buffer.concat([Buffer.from(chainLinkText(seq, transactionId, format, changeCount), 'utf8'), content]);
}
/** The tree's lowest stored level: complete subtrees of 2^4 = 16 seals and up (below, recomputed from the seals). */
export const TREE_STORED_LEVEL = 4;

/**
 * SQL (bytea): the content of purge seal `seq` (an SQL expression): SHA-256
 * of its ledger rows, one line each, `<seal>:<change id or *>:<hash hex>`,
 * in seal then change order.
 */
export function purgeContentSql(auditSchema: string, seq: string): string {
  return `sha256(convert_to(coalesce((SELECT string_agg(p.seal_seq::text || ':' || coalesce(p.change_id::text, '*') || ':' || coalesce(encode(p.change_sha256, 'hex'), ''), E'\\n' ORDER BY p.seal_seq, p.change_id NULLS FIRST)
  FROM ${qualified(auditSchema, PURGED_TABLE)} AS p WHERE p.purge_seq = ${seq}), ''), 'UTF8'))`;
}

/**
 * SQL: the chain's head, the seal with the highest number (`seq` as text,
 * `chain` hex, `sealed_at` ISO 8601 UTC). The one query every reader of
 * "the latest seal" uses: ordered by the bigint, never by its text ('9' > '12').
 */
export function sealHeadSql(auditSchema: string): string {
  return `SELECT s.seq::text AS seq, encode(s.chain_sha256, 'hex') AS chain, ${isoUtc('s.sealed_at')} AS sealed_at
FROM ${qualified(auditSchema, SEALS_TABLE)} AS s ORDER BY s.seq DESC LIMIT 1`;
}
