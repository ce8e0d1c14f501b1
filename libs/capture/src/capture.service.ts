import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { DataSource } from 'typeorm';
import { describeTables } from './catalog/catalog.reader';
import { THREADLINE_CAPTURE_OPTIONS } from './capture.constants';
import {
  parseTableName,
  ResolvedCaptureOptions,
  ResolvedTableCaptureOptions,
  tableOptionsFor,
} from './capture.options';
import { findMigrations, writeMigration, MigrationWriteResult } from './migration/migration-writer';
import { captureDifferences } from './catalog/capture-differences';
import { readDeployedCapture } from './catalog/deployed-capture';
import { DdlFollowUp, ddlFollowUpWarning, readDdlFollowUp } from './catalog/ddl-follow-up';
import { ident, logLine } from '@threadline/core';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from './schema/audit-schema.sql';
import { catalogProblems } from './trigger/catalog-problems';
import { generateSnapshotSql, SnapshotSql } from './trigger/snapshot-sql';
import { generateTriggerSql } from './trigger/trigger-sql.generator';
import { CatalogMismatchError, NoTablesToCaptureError } from './capture.errors';
import { auditTableNotAuditable, auditTablesMissing } from './capture.messages';

import { AUDIT_TABLES } from './schema/audit-tables';

export { AUDIT_TABLES, ARCHIVE_PUBLICATION_TABLES } from './schema/audit-tables';

export interface TriggerSqlRequest {
  /** `table` or `schema.table` names; defaults to every table in `capture.tables`. */
  tables?: string[];
  /** Store `changed_from` for these tables even if their options do not say so. */
  storeChangedFrom?: boolean;
}

export interface GeneratedMigration {
  up: string;
  down: string;
  /** Tables covered, as `schema.table`. */
  tables: string[];
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Overrides `capture.migrationsDir`. */
  dir?: string;
}

export interface MigrationOutcome extends GeneratedMigration {
  /** File written or already present; undefined on a dry run. */
  file?: string;
  written: boolean;
  /**
   * gen-triggers only: `deployed` when the database already runs exactly this
   * capture (decided from the deployed stamps, never from files), `pending`
   * when an existing migration holds this SQL and has not run yet.
   */
  upToDate?: 'deployed' | 'pending';
  /** gen-triggers only: per table, how deployed capture differs from what this migration deploys. */
  differences?: Record<string, string[]>;
}

/** Generates the audit schema and trigger SQL from the app's own options and writes them as migrations. */
@Injectable()
export class CaptureService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CaptureService.name);

  constructor(
    @Inject(THREADLINE_CAPTURE_OPTIONS) private readonly options: ResolvedCaptureOptions,
    private readonly dataSource: DataSource,
  ) {}

  /** Says at boot, before any migration can surprise the team, when schema changes are not followed by themselves. */
  async onApplicationBootstrap(): Promise<void> {
    const state = await this.ddlFollowUp().catch(() => 'not-installed' as const);
    this.bootWarning = ddlFollowUpWarning(state, this.options.auditSchema);
    if (this.bootWarning) logLine(this.logger, 'warn', 'capture:boot_warning', this.bootWarning);
  }

  /** The warning logged at boot, if any (the migrate command repeats it only when migrations changed it). */
  bootWarning?: string;

  get auditSchema(): string {
    return this.options.auditSchema;
  }

  /** Whether the DDL event trigger regenerates capture when a migration changes an audited table. */
  ddlFollowUp(): Promise<DdlFollowUp> {
    return readDdlFollowUp(this.dataSource, this.options.auditSchema);
  }

  installSql(): GeneratedMigration {
    return {
      ...auditSchemaSql(this.options.auditSchema, {
        queryIndexes: this.options.queryIndexes,
        partitioning: this.options.partitioning,
      }),
      tables: AUDIT_TABLES.map((t) => `${this.options.auditSchema}.${t}`),
    };
  }

  /**
   * Trigger SQL for the requested tables, validated against the live catalog
   * first: every problem is reported at once, and no SQL is produced if any.
   */
  async triggerSql(request: TriggerSqlRequest = {}): Promise<GeneratedMigration> {
    const names = request.tables?.length ? request.tables : this.options.tables.map((t) => `${t.schema}.${t.table}`);
    if (names.length === 0) {
      throw NoTablesToCaptureError.create();
    }
    const refs = [
      ...new Map(names.map((n) => parseTableName(n.trim())).map((r) => [`${r.schema}.${r.table}`, r])).values(),
    ];
    const auditRefs = AUDIT_TABLES.map((table) => ({ schema: this.options.auditSchema, table }));
    const described = await describeTables(this.dataSource, [...refs, ...auditRefs]);
    const problems: string[] = [];
    if (described.slice(refs.length).some((d) => d === undefined)) {
      problems.push(auditTablesMissing(this.options.auditSchema));
    }
    const sections = refs.map((ref, i) => {
      const settings = this.settingsFor(ref, request);
      if (ref.schema === this.options.auditSchema && (AUDIT_TABLES as readonly string[]).includes(ref.table)) {
        problems.push(auditTableNotAuditable(`${ref.schema}.${ref.table}`));
        return undefined;
      }
      const tableProblems = catalogProblems(described[i], settings);
      problems.push(...tableProblems);
      return tableProblems.length === 0 ? generateTriggerSql(described[i]!, settings, this.options) : undefined;
    });
    if (problems.length > 0) {
      throw CatalogMismatchError.forTriggers(problems);
    }
    return {
      up: sections.map((s) => s!.up).join('\n'),
      down: sections.map((s) => s!.down).join(''),
      tables: refs.map((r) => `${r.schema}.${r.table}`),
    };
  }

  /**
   * The batch SQL of a baseline for one table (see generateSnapshotSql), built
   * from the same catalog checks and redaction settings as its triggers.
   */
  async snapshotSql(name: string): Promise<SnapshotSql & { table: string }> {
    const ref = parseTableName(name.trim());
    const [description] = await describeTables(this.dataSource, [ref]);
    const problems = catalogProblems(description, tableOptionsFor(this.options, ref.schema, ref.table));
    if (problems.length > 0) throw CatalogMismatchError.forBaseline(`${ref.schema}.${ref.table}`, problems);
    return {
      table: `${ref.schema}.${ref.table}`,
      ...generateSnapshotSql(description!, tableOptionsFor(this.options, ref.schema, ref.table), this.options),
    };
  }

  /** The `install` migration: idempotent, a second run finds the first file and writes nothing. */
  writeInstallMigration(options: WriteOptions = {}): MigrationOutcome {
    const sql = this.installSql();
    return this.write(
      'ThreadlineInstall',
      `threadline:install v${AUDIT_SCHEMA_VERSION} schema=${this.options.auditSchema}`,
      sql,
      options,
    );
  }

  /**
   * The `gen-triggers` migration. Whether one is needed is decided from what
   * the database runs (each table's deployed stamp against the options), not
   * from files: a config reverted to an earlier state gets a new migration
   * even though an older file holds the same SQL. A file holding this SQL
   * that has not run yet is not written twice.
   */
  async writeTriggerMigration(request: TriggerSqlRequest, options: WriteOptions = {}): Promise<MigrationOutcome> {
    const sql = await this.triggerSql(request);
    const refs = sql.tables.map(parseTableName);
    const deployed = await readDeployedCapture(this.dataSource, this.options.auditSchema, refs);
    const differences: Record<string, string[]> = {};
    refs.forEach((ref, i) => {
      const found = captureDifferences(this.settingsFor(ref, request), this.options, deployed[i]);
      if (found.length) differences[sql.tables[i]] = found;
    });
    if (options.dryRun) return { ...sql, written: false, differences };
    if (Object.keys(differences).length === 0) return { ...sql, written: false, upToDate: 'deployed', differences };
    const hash = createHash('sha256').update(sql.up).digest('hex').slice(0, 16);
    const marker = `threadline:triggers sha256=${hash} tables=${sql.tables.join(',')}`;
    const dir = path.resolve(options.dir ?? this.options.migrationsDir);
    for (const existing of findMigrations(dir, marker)) {
      if (!(await this.migrationHasRun(existing)))
        return { ...sql, file: existing, written: false, upToDate: 'pending', differences };
    }
    return {
      ...sql,
      ...writeMigration(dir, { name: 'ThreadlineTriggers', marker, up: sql.up, down: sql.down }, Date.now(), {
        reuseExisting: false,
      }),
      differences,
    };
  }

  /** A table's capture settings as a trigger migration deploys them (a request may add storeChangedFrom). */
  private settingsFor(ref: { schema: string; table: string }, request: TriggerSqlRequest): ResolvedTableCaptureOptions {
    const tableOptions = tableOptionsFor(this.options, ref.schema, ref.table);
    return request.storeChangedFrom ? { ...tableOptions, storeChangedFrom: true } : tableOptions;
  }

  /** Whether TypeORM's migrations table records the migration class of this file as run. */
  private async migrationHasRun(file: string): Promise<boolean> {
    const className = /export class (\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
    if (!className) return false;
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    const [{ found }] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [ident(table)]);
    if (!found) return false;
    const rows = await this.dataSource.query(`SELECT 1 FROM ${ident(table)} WHERE name = $1`, [className]);
    return rows.length > 0;
  }

  private write(name: string, marker: string, sql: GeneratedMigration, options: WriteOptions): MigrationOutcome {
    if (options.dryRun) return { ...sql, written: false };
    const dir = path.resolve(options.dir ?? this.options.migrationsDir);
    const result: MigrationWriteResult = writeMigration(dir, { name, marker, up: sql.up, down: sql.down });
    return { ...sql, ...result };
  }
}
