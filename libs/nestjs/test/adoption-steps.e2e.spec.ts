import { spawn } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';
import { APP_DEPENDENCIES, packLibs, ROOT, tarballDependencies, workspaceVersions } from '@threadline/testing/packed';

/** The README block after `marker` (its first fenced block of `lang`), as written. */
function readmeBlock(marker: string, lang: 'ts' | 'sh'): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf(marker);
  if (from < 0) throw new Error(`README has no "${marker}"`);
  const start = readme.indexOf(`\`\`\`${lang}\n`, from) + lang.length + 4;
  return readme.slice(start, readme.indexOf('\n```', start));
}

function bash(command: string, cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { cwd, env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const ENTITY = `import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'widgets' })
export class Widget {
  @PrimaryColumn() id!: number;
  @Column() secret!: string;
}
`;

const APP_MODULE = `import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineModule } from '@threadline/nestjs';
import { Widget } from './widget.entity';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      entities: [Widget],
      synchronize: true,
      migrations: ['dist/migrations/*.js'],
    }),
    ThreadlineModule.forRoot({ capture: { tables: { widgets: { mask: ['secret'] } } }, actor: { resolveActor: () => null } }),
  ],
})
export class AppModule {}
`;

/**
 * "The commands in your app" as a new user follows it: a fresh NestJS + TypeORM app (synchronize: true) outside
 * the workspace, the packed packages, the README's cli.ts copied verbatim, and the README's steps run line by line
 * as written; then a write is captured and masked.
 */
describeOnOneMajor("README's steps from an empty database to captured writes, in a throwaway app", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('each step succeeds as written, and the app then captures its writes', async () => {
    const { work, tarballs } = packLibs('threadline-steps-');
    const app = path.join(work, 'app');
    mkdirSync(path.join(app, 'src'), { recursive: true });
    const versions = workspaceVersions();
    const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, versions[n]]));
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'steps-app',
        private: true,
        dependencies: {
          ...tarballDependencies(tarballs),
          ...pick(...APP_DEPENDENCIES),
        },
        devDependencies: pick('typescript', '@types/node'),
      }),
    );
    // As `nest new` scaffolds it: tsconfig.json with rootDir './' and no include (so it compiles test/ too) and
    // tsconfig.build.json leaving test/ out, with an e2e test beside src/.
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          resolvePackageJsonExports: true,
          esModuleInterop: true,
          isolatedModules: true,
          declaration: true,
          removeComments: true,
          emitDecoratorMetadata: true,
          experimentalDecorators: true,
          allowSyntheticDefaultImports: true,
          target: 'ES2023',
          sourceMap: true,
          outDir: './dist',
          rootDir: './',
          incremental: true,
          skipLibCheck: true,
          strictNullChecks: true,
          forceConsistentCasingInFileNames: true,
          noImplicitAny: false,
          strictBindCallApply: false,
          noFallthroughCasesInSwitch: false,
          types: ['node'],
        },
      }),
    );
    writeFileSync(
      path.join(app, 'tsconfig.build.json'),
      JSON.stringify({ extends: './tsconfig.json', exclude: ['node_modules', 'test', 'dist', '**/*spec.ts'] }),
    );
    mkdirSync(path.join(app, 'test'));
    writeFileSync(path.join(app, 'test', 'app.e2e-spec.ts'), `export const scaffoldedTest = true;\n`);
    writeFileSync(path.join(app, 'src', 'widget.entity.ts'), ENTITY);
    writeFileSync(path.join(app, 'src', 'app.module.ts'), APP_MODULE);
    writeFileSync(
      path.join(app, 'src', 'cli.ts'),
      `import 'reflect-metadata';\n${readmeBlock('### The commands in your app', 'ts')}\n`,
    );
    const env = { ...process.env, DATABASE_URL: db.url };
    const install = await bash('npm install --no-audit --no-fund --loglevel=error', app, env);
    if (install.code !== 0) throw new Error(`npm install failed:\n${install.out}`);

    const steps = readmeBlock('<!-- steps:', 'sh')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    expect(steps.length).toBeGreaterThanOrEqual(6);
    for (const step of steps) {
      const run = await bash(step, app, env);
      if (run.code !== 0) throw new Error(`step "${step}" failed (exit ${run.code}):\n${run.out}`);
    }
    expect(
      readdirSync(path.join(app, 'src', 'migrations'))
        .map((f) => f.replace(/^\d+-/, ''))
        .sort(),
    ).toEqual(['threadline-install.ts', 'threadline-triggers.ts']);

    await db.query(`INSERT INTO widgets (id, secret) VALUES (1, 'hidden')`);
    expect(await db.query(`SELECT op, data_after FROM audit_changes`)).toEqual([
      { op: 'insert', data_after: { id: 1, secret: '[REDACTED]' } },
    ]);
  }, 600_000);
});
