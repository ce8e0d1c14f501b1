import { INestApplication, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTestDatabase, describeOnOneMajor, TestDatabase } from '@threadline/testing';
import { spawn } from 'child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'fs';
import * as path from 'path';
import { AppModule } from '../src/app.module';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MIGRATIONS = path.resolve(__dirname, '..', 'src', 'migrations');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Every `npm run cli` and `curl` command of the sh blocks in the README and docs/, continuation lines joined. */
function documentedCommands(): [where: string, command: string][] {
  const commands: [string, string][] = [];
  for (const file of DOCS) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const [, block] of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const command of block.replace(/\\\n\s*/g, ' ').split('\n')) {
        if (/^(npm run (--silent )?cli|curl) /.test(command)) commands.push([file, command]);
      }
    }
  }
  return commands;
}

/**
 * The commands the README and docs/ show, run as written (through npm and
 * bash, from the repo root) against the demo: the HTTP ones against a demo
 * app on a free port standing in for localhost:3000, placeholders filled
 * with ids from its data. Each must exit 0 without an error answer.
 */
describeOnOneMajor('every command in the README and docs/ runs as written', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let address: string;
  const values: Record<string, string> = {};
  const migrationsBefore = existsSync(MIGRATIONS) ? readdirSync(MIGRATIONS) : [];
  const written = ['posts.csv', 'audit.csv', 'incident-42.csv', 'evidence.json'].flatMap((f) => [
    f,
    `${f}.manifest.json`,
  ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ databaseUrl: db.url, runMigrations: true })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
    await app.listen(0, '127.0.0.1');
    address = (await app.getUrl()).replace('http://', '').replace('[::1]', '127.0.0.1');
    // A table that predates capture, for continuity and baseline.
    await db.query(`CREATE TABLE legacy (id int PRIMARY KEY, v text); INSERT INTO legacy VALUES (1, 'a'), (2, 'b')`);
    await db.query(
      `SELECT threadline_capture('public', 'legacy', 'threadline_audit_legacy', '{"captureInReplicaRole": true}'::jsonb)`,
    );
    const post = await fetch(`http://${address}/api/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': '1', 'x-correlation-id': 'incident-42' },
      body: JSON.stringify({ title: 'Seed', body: 'for the docs' }),
    }).then((r) => r.json());
    values.transaction_id = post.audit_transaction_id;
    values.correlation_id = 'incident-42';
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    for (const file of written) rmSync(path.join(ROOT, file), { force: true });
  });

  it.each(documentedCommands())('%s: %s', async (_file, command) => {
    // Spawned asynchronously: the demo app answering the curl commands runs in this process.
    const run = await runBash(
      command.replace(/localhost:3000/g, address).replace(/<(\w+)>/g, (whole, name) => values[name] ?? whole),
      { ...process.env, DATABASE_URL: db.url },
    );
    // A command that writes a migration (gen-triggers with new settings) leaves the next one the demo as it was.
    for (const file of readdirSync(MIGRATIONS))
      if (!migrationsBefore.includes(file)) rmSync(path.join(MIGRATIONS, file));
    if (run.status !== 0) throw new Error(`exit ${run.status}\n${run.stderr}\n${run.stdout}`);
    expect(run.stdout).not.toMatch(/"statusCode":\s*[45]\d\d/);
  });
});

function runBash(
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
