import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'fs';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { ROOT, runCommand, workspaceVersions } from '@threadline/testing/packed';

/** The README's install line, as written (the test runs exactly it). */
function readmeInstallLine(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const line = /```sh\n(npm install @threadline\/nestjs [^\n]*)\n```/.exec(readme)?.[1];
  if (!line) throw new Error('README.md has no ```sh block holding "npm install @threadline/nestjs ..."');
  return line;
}

/** A user's app, installed by name: one masked column, one attributed write, read back from the audit log. */
const APP = `
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { DataSource } = require('typeorm');
const { ActorRef, CaptureService, ThreadlineContext, ThreadlineModule } = require('@threadline/nestjs');

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL }),
    ThreadlineModule.forRoot({ capture: { tables: { gadgets: { mask: ['secret'] } } } }),
  ],
})(AppModule);

(async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.init();
  const db = app.get(DataSource);
  const capture = app.get(CaptureService);
  await db.query('CREATE TABLE gadgets (id int PRIMARY KEY, secret text)');
  await db.query(capture.installSql().up);
  await db.query((await capture.triggerSql()).up);
  await app.get(ThreadlineContext).transaction(ActorRef.user('7'), (m) => m.query("INSERT INTO gadgets VALUES (1, 'hidden')"));
  const rows = await db.query('SELECT c.op, c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id');
  await app.close();
  process.stdout.write(JSON.stringify({ resolvedFrom: require.resolve('@threadline/nestjs'), rows }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

/**
 * Installable by name, proven against a real registry run locally: Verdaccio
 * (started here, proxying everything but @threadline/* to the public
 * registry) takes the README's release command, and a fresh NestJS 12 app
 * installs @threadline/nestjs with the README's install line.
 */
describe('published to a registry run locally (Verdaccio), installed by name', () => {
  let db: TestDatabase;
  let server: Server;
  let registry: string;
  let work: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    work = mkdtempSync(path.join(tmpdir(), 'threadline-registry-'));
    chmodSync(work, 0o755);
    const { runServer } = (await import('verdaccio')) as unknown as {
      runServer(config: object): Promise<{ listen(port: number, host: string, cb: () => void): Server }>;
    };
    const app = await runServer({
      self_path: work,
      storage: path.join(work, 'storage'),
      auth: { htpasswd: { file: path.join(work, 'htpasswd'), max_users: -1 } },
      uplinks: { npmjs: { url: 'https://registry.npmjs.org/' } },
      packages: {
        '@threadline/*': { access: '$all', publish: '$all' },
        '**': { access: '$all', proxy: 'npmjs' },
      },
      log: { type: 'stdout', format: 'pretty', level: 'fatal' },
    });
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', resolve)));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await db.drop();
  });

  // Packaging does not depend on the server's major: run once, on the embedded pass (not the TEST_DATABASE_URL one).
  (process.env.TEST_DATABASE_URL ? it.skip : it)(
    'npm run release publishes the set; a NestJS 12 app installs @threadline/nestjs by name and records an attributed, masked write',
    async () => {
      // npm wants a token for the registry it publishes to; this Verdaccio lets anyone publish @threadline/*
      const npmrc = path.join(work, '.npmrc');
      writeFileSync(npmrc, `registry=${registry}\n//${registry.slice('http://'.length)}:_authToken=threadline-local\n`);
      const env = {
        ...process.env,
        npm_config_userconfig: npmrc,
        NPM_CONFIG_USERCONFIG: npmrc,
        npm_config_registry: registry,
        NPM_CONFIG_REGISTRY: registry,
      };
      const release = await runCommand('npm', ['run', 'release', '--', '--registry', registry], ROOT, env);
      expect({ code: release.code, out: release.stderr.split('\n').filter((l) => l.startsWith('Published')) }).toEqual({
        code: 0,
        out: [expect.stringMatching(/^Published @threadline\/core@0\.1\.0, .*@threadline\/nestjs@0\.1\.0$/)],
      });

      const app = path.join(work, 'app');
      mkdirSync(app);
      const versions = workspaceVersions();
      // what `nest new` gives an app before Threadline: Nest itself
      const base = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'];
      writeFileSync(
        path.join(app, 'package.json'),
        JSON.stringify({
          name: 'by-name-app',
          private: true,
          dependencies: Object.fromEntries(base.map((dep) => [dep, versions[dep]])),
        }),
      );
      const install = await runCommand(
        'bash',
        ['-o', 'pipefail', '-c', `${readmeInstallLine()} --no-audit --no-fund --loglevel=error`],
        app,
        env,
      );
      if (install.code !== 0) throw new Error(`the README's install line failed:\n${install.stderr}`);
      const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
      expect(manifest.dependencies['@threadline/nestjs']).toBe('^0.1.0');

      writeFileSync(path.join(app, 'main.js'), APP);
      const run = await runCommand(process.execPath, ['main.js'], app, { ...process.env, DATABASE_URL: db.url });
      expect(run.stderr).toBe('');
      const out = JSON.parse(run.stdout);
      expect(out.resolvedFrom).toBe(path.join(app, 'node_modules', '@threadline', 'nestjs', 'dist', 'index.js'));
      expect(out.rows).toEqual([
        { op: 'insert', data_after: { id: 1, secret: '[REDACTED]' }, actor_ref: { type: 'user', id: '7' } },
      ]);
    },
    600_000,
  );
});
