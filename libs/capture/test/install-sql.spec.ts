import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import {
  ACTION_NAME_MAX_LENGTH,
  ACTION_TEXT_MAX_LENGTH,
  ACTOR_SETTING,
  auditSchemaSql,
  CORRELATION_SETTING,
  RECORD_ACTION_FUNCTION,
  REQUEST_SETTING,
  TRACE_SETTING,
  TRACEPARENT_PATTERN,
  TRANSACTION_ACTOR_SETTING,
  TRANSACTION_FUNCTION,
} from '../src/schema/audit-schema.sql';
import { PARTITION_INTERVALS, PARTITIONS_AHEAD } from '../src/partitions/partitioning.options';
import {
  DETACHED_COMMENT,
  PARTITION_UPGRADE_FUNCTIONS,
  PARTITION_UPGRADE_TABLE,
  UPGRADE_COMMENT,
} from '../src/schema/audit-schema.sql';
import { DEFAULT_ROWS_COUNTED } from '../src/partitions/partitions.service';
import {
  CAPTURE_FUNCTION,
  CAPTURE_SQL_FUNCTION,
  columnLayoutEntry,
  ddlEventTriggerName,
  FALLBACK_SQL_FUNCTION,
  LAYOUT_FUNCTION,
  PENDING_TABLE,
  REFRESH_FUNCTION,
  REWRITE_SNAPSHOT_FUNCTION,
  SCHEMA_CHANGE_ACTOR,
  SIGNATURE_FUNCTION,
} from '../src/schema/capture-functions.sql';
import { LEASES_TABLE } from '../src/schema/lease';
import {
  chainStepSql,
  changeDigestSql,
  JSONB_HASH_FUNCTION,
  openBaselineSql,
  purgeContentSql,
  PURGED_TABLE,
  SEAL_FORMAT,
  SEAL_FORMAT_LARGE,
  sealContentSql,
  SEALS_TABLE,
} from '../src/schema/seal-hash';
import {
  CHECKPOINTS_TABLE,
  RECORD_PURGE_FUNCTION,
  SEAL_BATCH,
  SEAL_BATCH_MAX,
  SEAL_FUNCTION,
  SEAL_LOCK_TIMEOUT_SECONDS,
} from '../src/schema/seal.sql';
import { BASELINE_SOURCE } from '../src/trigger/snapshot-sql';
import {
  ACTOR_ID_MAX_LENGTH,
  ACTOR_ID_TRIM_CLASS,
  ACTOR_RULE,
  ACTOR_TYPES,
  auditSchemaSetting,
  cachedTransactionSql,
  CONTEXT_ID_MAX_BYTES,
  ident,
  literal,
  qualified,
  textArray,
} from '@threadline/core';
import { transactionCacheSetting } from '@threadline/core';
import { UNCAPTURE_FUNCTION } from '../src/schema/capture-functions.sql';
import { INSTALL_SQL_DIR, installSql, installSqlPlaceholders } from '../src/schema/install-sql';

const SCHEMAS = ['public', 'Audit "x"'];

/** Every file under sql/, as `001-tables` or `down/001-capture-functions`. */
function sqlFiles(): string[] {
  const list = (dir: string): string[] =>
    readdirSync(path.join(INSTALL_SQL_DIR, dir))
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file) => path.posix.join(dir, file.replace(/\.sql$/, '')));
  return [...list('.'), ...list('down')];
}

/** The install SQL is plain files (sql/README.md), read by src/schema/install-sql.ts. */
describe('install SQL files', () => {
  it('are numbered in execution order, and each is part of the install or its reverse', () => {
    const files = sqlFiles();
    expect(files.length).toBeGreaterThan(10);
    // 001b runs right after 001 and only with capture.partitioning
    for (const file of files) expect(path.basename(file)).toMatch(/^\d{3}b?-[a-z0-9-]+$/);
    const { up, down } = auditSchemaSql('Audit "x"', { partitioning: { interval: 'month', ahead: 3 } });
    expect(auditSchemaSql('Audit "x"').up).not.toContain(installSql('Audit "x"', '001b-partitioned-tables'));
    const positions = files.map((file) => {
      const text = installSql('Audit "x"', file);
      const at = (file.startsWith('down/') ? down : up).indexOf(text);
      expect({ file, found: at >= 0 }).toEqual({ file, found: true });
      return { down: file.startsWith('down/'), at };
    });
    for (const side of [false, true]) {
      const order = positions.filter((p) => p.down === side).map((p) => p.at);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('use only the documented placeholders, and leave none and no reader note behind', () => {
    const known = Object.keys(installSqlPlaceholders('public'));
    for (const file of sqlFiles()) {
      const raw = readFileSync(path.join(INSTALL_SQL_DIR, `${file}.sql`), 'utf8').replace(/^--#.*\n/gm, '');
      for (const used of raw.match(/(?<!:):AUDIT_[A-Z_]+\b/g) ?? []) expect(known).toContain(used);
    }
    for (const schema of SCHEMAS) {
      const { up, down } = auditSchemaSql(schema, { partitioning: { interval: 'week', ahead: 5 } });
      expect(`${up}${down}`).not.toMatch(/:AUDIT_|^--#/m);
    }
    const readme = readFileSync(path.join(INSTALL_SQL_DIR, 'README.md'), 'utf8');
    for (const placeholder of known) expect(readme).toContain(`\`${placeholder}\``);
  });
});

/** What the application computes in TypeScript and the SQL writes out must stay the same. */
describe('install SQL and the application', () => {
  it.each(SCHEMAS)('write out the hash expressions the integrity check computes (%s)', (schema) => {
    const { up } = auditSchemaSql(schema);
    expect(up).toContain(`${sealContentSql(schema)} AS content`);
    expect(up).toContain(`CROSS JOIN LATERAL ${changeDigestSql(schema)} AS d`);
    expect(up).toContain(sealContentSql(schema, 't', SEAL_FORMAT_LARGE));
    expect(up).toContain(changeDigestSql(schema, 't.id', SEAL_FORMAT_LARGE));
    expect(up).toContain(`content := ${purgeContentSql(schema, 'n')};`);
    expect(up).toContain(openBaselineSql());
    expect(openBaselineSql()).toContain(literal(BASELINE_SOURCE));
    const format = String(SEAL_FORMAT);
    expect(up).toContain(chainStepSql('chain', 'n', 'candidate.id', 'candidate.content', format, 'candidate.changes'));
    expect(up).toContain(chainStepSql('chain', 'n', 'candidate.id', 'content', 'fmt', 'changes'));
    expect(up).toContain(chainStepSql('previous.chain_sha256', 'n', `'purge'`, 'content', format, 'changes'));
    expect(up).toContain(`fmt := ${SEAL_FORMAT_LARGE};`);
    expect(up).toContain(`max_transactions int DEFAULT ${SEAL_BATCH})`);
    expect(up).toContain(`max_transactions > ${SEAL_BATCH_MAX} THEN`);
    expect(up).toContain(`SET lock_timeout = '${SEAL_LOCK_TIMEOUT_SECONDS}s'`);
  });

  it.each(SCHEMAS)('name the objects, settings and event triggers the application uses (%s)', (schema) => {
    const { up } = auditSchemaSql(schema);
    const objects = [TRANSACTION_FUNCTION, RECORD_ACTION_FUNCTION, SEAL_FUNCTION, RECORD_PURGE_FUNCTION];
    objects.push(JSONB_HASH_FUNCTION, CAPTURE_FUNCTION, UNCAPTURE_FUNCTION, CAPTURE_SQL_FUNCTION, REFRESH_FUNCTION);
    objects.push(SIGNATURE_FUNCTION, LAYOUT_FUNCTION, FALLBACK_SQL_FUNCTION, REWRITE_SNAPSHOT_FUNCTION);
    for (const name of objects) expect(up).toContain(`CREATE OR REPLACE FUNCTION ${qualified(schema, name)}(`);
    for (const table of [SEALS_TABLE, PURGED_TABLE, CHECKPOINTS_TABLE, LEASES_TABLE, PENDING_TABLE])
      expect(up).toContain(`CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (`);
    for (const setting of [ACTOR_SETTING, CORRELATION_SETTING, REQUEST_SETTING, TRACE_SETTING])
      expect(up).toContain(`current_setting('${setting}', true)`);
    expect(up).toContain(`current_setting('${auditSchemaSetting(TRANSACTION_ACTOR_SETTING, schema)}', true)`);
    expect(up).toContain(`trace !~ '${TRACEPARENT_PATTERN}'`);
    expect(up).toContain(`set_config('${transactionCacheSetting(schema)}', `);
    expect(up).toContain(`cached text := ${cachedTransactionSql(schema)};`);
    for (const event of ['ddl', 'rewrite', 'drop'] as const)
      expect(up).toContain(`CREATE EVENT TRIGGER ${ident(ddlEventTriggerName(schema, event))} ON `);
    expect(up).toContain(`'${SCHEMA_CHANGE_ACTOR}'`);
    expect(up.split(columnLayoutEntry('a')).length - 1).toBe(3);
  });

  it('write out the actor rule and the limits core and the application enforce', () => {
    const { up } = auditSchemaSql('public');
    expect(up).toContain(literal(ACTOR_RULE));
    expect(up).toContain(`= ANY (${textArray(ACTOR_TYPES)})`);
    expect(up).toContain(`= ANY (${textArray(ACTOR_TYPES.filter((type) => type !== 'anonymous'))})`);
    expect(up).toContain(literal(`^[${ACTOR_ID_TRIM_CLASS}]+|[${ACTOR_ID_TRIM_CLASS}]+$`));
    expect(up).toContain(`<= ${Number.MAX_SAFE_INTEGER}`);
    expect(up).toContain(`length(actor_json->>'id') > ${ACTOR_ID_MAX_LENGTH} THEN`);
    expect(up).toContain(`octet_length(correlation) > ${CONTEXT_ID_MAX_BYTES} OR`);
    expect(up).toContain(`octet_length(action_job_id) > ${CONTEXT_ID_MAX_BYTES})`);
    expect(up).toContain(`at most ${ACTION_NAME_MAX_LENGTH} characters`);
    expect(up).toContain(`IF length(action_comment) > ${ACTION_TEXT_MAX_LENGTH} THEN`);
    // capture.partitioning: the intervals and the range of `ahead` the options allow are the table's CHECKs
    expect(up).toContain(`CHECK (period IN (${PARTITION_INTERVALS.map(literal).join(', ')}))`);
    expect(up).toContain(`CHECK (ahead BETWEEN ${PARTITIONS_AHEAD.min} AND ${PARTITIONS_AHEAD.max})`);
    expect(up).toContain(`LIMIT ${DEFAULT_ROWS_COUNTED}) AS d`);
    // the comment coverage reads to leave a detached range's tables out
    expect(up).toContain(`'threadline: detached audit range'`);
    expect(literal(DETACHED_COMMENT)).toBe(`'threadline: detached audit range'`);
    // and those of a partitioning upgrade (019); the names the upgrade service calls
    expect(up).toContain(`IS ${literal(UPGRADE_COMMENT)};`);
    for (const fn of Object.values(PARTITION_UPGRADE_FUNCTIONS))
      expect(up).toContain(`CREATE OR REPLACE FUNCTION "public"."${fn}"(`);
    expect(up).toContain(`CREATE TABLE "public"."${PARTITION_UPGRADE_TABLE}" (`);
  });
});

describe('install SQL actor check', () => {
  it('is there three times, the same each time', () => {
    const { up } = auditSchemaSql('public');
    const lines = up.split('\n');
    const copies: string[] = [];
    lines.forEach((line, start) => {
      const indent = /^(\s*)IF actor IS NOT NULL THEN$/.exec(line)?.[1];
      if (indent === undefined) return;
      const end = lines.indexOf(`${indent}END IF;`, start);
      copies.push(
        lines
          .slice(start, end + 1)
          .map((l) => l.slice(indent.length))
          .join('\n')
          .replace(/'threadline\.actor_ref'|'the actor of an action'/g, 'SOURCE'),
      );
    });
    expect(copies).toHaveLength(3);
    expect(copies[0].split('\n').length).toBeGreaterThan(40);
    expect(new Set(copies).size).toBe(1);
  });
});
