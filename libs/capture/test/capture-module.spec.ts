import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import { DataSource, MigrationInterface } from 'typeorm';
import { CaptureConfigError } from '@threadline/core';
import { CaptureOptions, CaptureService, THREADLINE_CAPTURE_OPTIONS, ThreadlineCaptureModule } from '../src';
import { MigrateCommand } from '../src/commands/migrate.command';

const OPTIONS: CaptureOptions = { tables: { users: { mask: ['email'] } } };

describe('ThreadlineCaptureModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const typeorm = () => TypeOrmModule.forRoot({ type: 'postgres', url: db.url });

  itResolvesEveryRegistrationForm({
    module: ThreadlineCaptureModule,
    factoryMethod: 'createCaptureOptions',
    options: OPTIONS,
    imports: () => [typeorm()],
    check: (moduleRef) => {
      expect(moduleRef.get(THREADLINE_CAPTURE_OPTIONS).tables[0]).toMatchObject({ table: 'users', mask: ['email'] });
      expect(moduleRef.get(CaptureService)).toBeInstanceOf(CaptureService);
    },
  });

  it('stops boot on invalid options with a message naming the option', async () => {
    const compile = Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, manualInitialization: true }),
        ThreadlineCaptureModule.forRootAsync({ useFactory: () => ({ tables: { users: { mask: 'email' } } }) as never }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow('capture.tables.users.mask must be an array of column names');
  });

  it('migrate refuses when TypeORM has no migrations option, saying what to set', async () => {
    const app = await Test.createTestingModule({
      imports: [typeorm(), ThreadlineCaptureModule.forRoot(OPTIONS)],
    }).compile();
    await app.init();
    const command = app.get(MigrateCommand);
    const errors: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      errors.push(String(chunk));
      return true;
    });
    try {
      await command.run([], {});
    } finally {
      write.mockRestore();
      await app.close();
    }
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    expect(errors.join('')).toContain(
      "TypeORM's `migrations` option is not set, so the migrations install and gen-triggers write would never be loaded",
    );
    expect(errors.join('')).toContain("migrations: ['dist/migrations/*.js']");
  });

  it('migrate says what it applied, and that migrationsRun applied them as it started', async () => {
    const fresh = await createTestDatabase();
    class First1700000000001 {
      name = 'First1700000000001';
      async up(q: { query(sql: string): Promise<unknown> }) {
        await q.query('CREATE TABLE first_table (id int PRIMARY KEY)');
      }
      async down() {}
    }
    class Second1700000000002 {
      name = 'Second1700000000002';
      async up(q: { query(sql: string): Promise<unknown> }) {
        await q.query('CREATE TABLE second_table (id int PRIMARY KEY)');
      }
      async down() {}
    }
    const run = async (migrationsRun: boolean, migrations: unknown[]) => {
      const app = await Test.createTestingModule({
        imports: [
          TypeOrmModule.forRoot({ type: 'postgres', url: fresh.url, migrationsRun, migrations: migrations as never }),
          ThreadlineCaptureModule.forRoot(OPTIONS),
        ],
      }).compile();
      await app.init();
      const out: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        out.push(String(chunk));
        return true;
      });
      try {
        await app.get(MigrateCommand).run([], {});
      } finally {
        write.mockRestore();
        await app.close();
      }
      return out.join('');
    };
    try {
      expect(await run(false, [First1700000000001])).toBe('Applied First1700000000001\n');
      expect(await run(false, [First1700000000001])).toBe(
        'No pending migrations: 1 applied in all, the latest First1700000000001.\n',
      );
      // migrationsRun: true applies Second while the command starts; migrate says so instead of "No pending migrations."
      expect(await run(true, [First1700000000001, Second1700000000002])).toBe(
        'Nothing left to apply: this app sets migrationsRun: true, so TypeORM applied any pending migrations as this command started (as it does whenever the app starts). 2 applied in all, the latest Second1700000000002.\n',
      );
    } finally {
      await fresh.drop();
    }
  });

  describe('CaptureService against the live catalog', () => {
    let service: CaptureService;
    let dataSource: DataSource;
    let dir: string;
    let close: () => Promise<void>;

    beforeAll(async () => {
      dir = path.join(mkdtempSync(path.join(tmpdir(), 'threadline-migrations-')), 'migrations');
      const moduleRef = await Test.createTestingModule({
        imports: [
          typeorm(),
          ThreadlineCaptureModule.forRoot({
            migrationsDir: dir,
            tables: { users: { mask: ['email', 'nickname'], exclude: ['password_hash'] }, nokey: {} },
          }),
        ],
      }).compile();
      service = moduleRef.get(CaptureService);
      dataSource = moduleRef.get(DataSource);
      close = () => moduleRef.close();
      await dataSource.query(
        `CREATE TABLE users (id int PRIMARY KEY, email text, password_hash text); CREATE TABLE nokey (a int)`,
      );
    });
    afterAll(() => close());

    it('refuses to generate before install, naming the fix', async () => {
      await expect(service.triggerSql({ tables: ['users'] })).rejects.toThrow(
        'run the install migration first (the install command writes it; then run your migrations)',
      );
    });

    it('writes the install migration once; a second run writes nothing', async () => {
      const first = service.writeInstallMigration();
      const second = service.writeInstallMigration();
      expect(first.written).toBe(true);
      expect(second).toMatchObject({ written: false, file: first.file });
      expect(readdirSync(dir)).toHaveLength(1);
      await dataSource.query(service.installSql().up);
    });

    it('reports every catalog problem at once and writes no SQL', async () => {
      const attempt = service.writeTriggerMigration({ tables: ['users', 'missing', 'nokey', 'audit_changes'] });
      await expect(attempt).rejects.toThrow(CaptureConfigError);
      const message = await attempt.catch((e: Error) => e.message);
      expect(message).toContain(
        'public.users: mask names unknown column(s) nickname; the table has id, email, password_hash. If a column was renamed, name it by its new name: deployed capture already applies mask to it there (verify-coverage says which)',
      );
      expect(message).toContain('table public.missing does not exist in the database');
      expect(message).toContain('table public.nokey has no primary key');
      expect(message).toContain('public.audit_changes is one of Threadline');
      expect(readdirSync(dir)).toHaveLength(1);
    });

    it('writes a trigger migration whose SQL is exactly the dry-run SQL, once', async () => {
      await dataSource.query(`ALTER TABLE users ADD COLUMN nickname text; ALTER TABLE nokey ADD PRIMARY KEY (a)`);
      const dry = await service.writeTriggerMigration({}, { dryRun: true });
      expect(dry.file).toBeUndefined();
      const written = await service.writeTriggerMigration({});
      const again = await service.writeTriggerMigration({});
      expect(written.written).toBe(true);
      expect(again).toMatchObject({ written: false, file: written.file });
      expect(written.up).toBe(dry.up);
      const source = readFileSync(written.file!, 'utf8');
      // The migration runs the dry-run SQL verbatim: load and run it.
      const Migration = Object.values(await import(written.file!))[0] as new () => MigrationInterface;
      await new Migration().up(dataSource.createQueryRunner());
      await dataSource.query(`INSERT INTO users VALUES (1, 'a@b.c', 'h', 'nick')`);
      const [change] = await dataSource.query(`SELECT data_after FROM audit_changes`);
      expect(change.data_after).toEqual({ id: 1, email: '[REDACTED]', nickname: '[REDACTED]' });
      expect(source).toContain('threadline:triggers sha256=');
      expect(existsSync(written.file!)).toBe(true);
    });

    it('decides "up to date" from the database, not from files: deployed, restored after a revert, pending until it runs', async () => {
      // the previous test ran its migration: record it as TypeORM would
      await dataSource.query(
        `CREATE TABLE migrations (id serial PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)`,
      );
      const classOf = (file: string) => /export class (\w+)/.exec(readFileSync(file, 'utf8'))![1];
      const ran = readdirSync(dir).filter((f) => f.endsWith('-threadline-triggers.ts'));
      for (const f of ran)
        await dataSource.query(`INSERT INTO migrations (timestamp, name) VALUES (1, $1)`, [classOf(path.join(dir, f))]);
      const first = await service.writeTriggerMigration({});
      expect(first).toMatchObject({ written: false, upToDate: 'deployed' });
      // capture deployed behind the config's back (an older config, by hand): the same SQL is written again
      await dataSource.query(
        `SELECT threadline_capture('public', 'users', 'threadline_audit_users', '{"exclude": [], "mask": []}'::jsonb)`,
      );
      const restored = await service.writeTriggerMigration({});
      expect(restored.written).toBe(true);
      expect(restored.differences!['public.users']).toEqual(
        expect.arrayContaining(['mask: deployed lacks email, nickname', 'exclude: deployed lacks password_hash']),
      );
      // not run yet: pending, nothing new written
      expect(await service.writeTriggerMigration({})).toMatchObject({
        written: false,
        upToDate: 'pending',
        file: restored.file,
      });
      // run it as TypeORM would, recording it in the migrations table
      const Migration = Object.values(await import(restored.file!))[0] as new () => MigrationInterface;
      await new Migration().up(dataSource.createQueryRunner());
      await dataSource.query(`INSERT INTO migrations (timestamp, name) VALUES (1, $1)`, [classOf(restored.file!)]);
      expect(await service.writeTriggerMigration({})).toMatchObject({ written: false, upToDate: 'deployed' });
    });
  });
});
