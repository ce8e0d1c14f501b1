import { execFileSync, spawnSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import {
  APP_DEPENDENCIES,
  LIBS,
  packLibs,
  ROOT,
  tarballDependencies,
  workspaceVersions,
} from '@threadline/testing/packed';

/** A Nest app written as a user outside this workspace would: only the packed tarballs and public npm packages. */
const APP = `
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { DataSource } = require('typeorm');
const { ThreadlineModule, CaptureService } = require('@threadline/nestjs');

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL }),
    ThreadlineModule.forRoot({
      capture: { tables: { widgets: { mask: ['secret'] } } },
      operator: { authorize: () => true },
    }),
  ],
})(AppModule);

(async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const db = app.get(DataSource);
  const capture = app.get(CaptureService);
  await db.query('CREATE TABLE widgets (id int PRIMARY KEY, secret text)');
  await db.query(capture.installSql().up);
  await db.query((await capture.triggerSql()).up);
  await db.query("INSERT INTO widgets VALUES (1, 'hidden')");
  const rows = await db.query('SELECT op, table_pk, data_after FROM audit_changes');
  const page = await fetch((await app.getUrl()) + '/audit/coverage', { headers: { accept: 'text/html' } });
  const coverage = { status: page.status, html: await page.text() };
  await app.close();
  // @nestjs/swagger is an optional peer, not installed here: asking for the OpenAPI document says what to install
  class WithOpenApi {}
  Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL }),
      ThreadlineModule.forRoot({ operator: { authorize: () => true, openApi: true } }),
    ],
  })(WithOpenApi);
  const openApiError = await NestFactory.create(WithOpenApi, { logger: false, abortOnError: false }).then(
    (a) => a.close().then(() => 'booted'),
    (e) => e.message,
  );
  // @opentelemetry/api is an optional peer, not installed here: the libs load, capture and serve without it
  const openTelemetry = (() => { try { require.resolve('@opentelemetry/api'); return 'installed'; } catch { return 'absent'; } })();
  process.stdout.write(JSON.stringify({ resolvedFrom: require.resolve('@threadline/nestjs'), rows, coverage, openApiError, openTelemetry }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('packed packages outside the workspace', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('npm-packs every lib, installs only the tarballs in a throwaway app, and captures an audited write', () => {
    const { work, tarballs } = packLibs('threadline-pack-');
    // Each package carries its licence and a README, and says which Node it needs.
    for (const [i, tarball] of tarballs.entries()) {
      const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
      expect({
        lib: LIBS[i],
        license: listing.includes('package/LICENSE'),
        readme: listing.includes('package/README.md'),
      }).toEqual({
        lib: LIBS[i],
        license: true,
        readme: true,
      });
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'libs', LIBS[i], 'package.json'), 'utf8'));
      expect(manifest).toMatchObject({ license: 'MIT', engines: { node: expect.any(String) } });
    }
    const versions = workspaceVersions();
    const app = path.join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'throwaway-app',
        private: true,
        dependencies: {
          ...tarballDependencies(tarballs),
          ...Object.fromEntries(APP_DEPENDENCIES.map((dep) => [dep, versions[dep]])),
        },
      }),
    );
    writeFileSync(path.join(app, 'main.js'), APP);
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: app,
      stdio: 'pipe',
    });

    const run = spawnSync(process.execPath, ['main.js'], {
      cwd: app,
      env: { ...process.env, DATABASE_URL: db.url },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(out.resolvedFrom).toBe(path.join(app, 'node_modules', '@threadline', 'nestjs', 'dist', 'index.js'));
    expect(out.rows).toEqual([{ op: 'insert', table_pk: { id: 1 }, data_after: { id: 1, secret: '[REDACTED]' } }]);
    // The operator page, with the stylesheet and browser script that ship as files in the operator tarball.
    expect(out.coverage.status).toBe(200);
    expect(out.coverage.html).toContain('.badge.ok {');
    expect(out.coverage.html).toContain("getElementById('coverage-config')");
    expect(out.coverage.html).toContain('<code>public.widgets</code>');
    expect(out.openTelemetry).toBe('absent');
    expect(out.openApiError).toContain('operator.openApi needs the @nestjs/swagger package, which is not installed');
  }, 300_000);
});
