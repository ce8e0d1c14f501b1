import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineActorModule } from '@threadline/actor';
import { CaptureService, ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineProofModule } from '@threadline/proof';
import { ThreadlineRetentionModule } from '@threadline/retention';
import { createTestDatabase, initOrClose, TestDatabase } from '@threadline/testing';
import { itResolvesEveryRegistrationForm } from '@threadline/testing/module-registration';
import request from 'supertest';
import { OperatorOptions, THREADLINE_OPERATOR_OPTIONS, ThreadlineOperatorModule } from '../src';

describe('ThreadlineOperatorModule', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  const imports = () => [
    TypeOrmModule.forRoot({ type: 'postgres', url: db.url, retryAttempts: 0 }),
    ThreadlineCaptureModule.forRoot({}),
    ThreadlineActorModule.forRoot({}),
    ThreadlineProofModule.forRoot({}),
    ThreadlineHealthModule.forRoot({}),
    ThreadlineExportModule,
  ];

  itResolvesEveryRegistrationForm({
    module: ThreadlineOperatorModule,
    factoryMethod: 'createOperatorOptions',
    options: { authorize: () => true },
    imports,
    check: (moduleRef) =>
      expect(moduleRef.get(THREADLINE_OPERATOR_OPTIONS)).toMatchObject({
        mounted: true,
        path: '/audit',
        authorize: expect.any(Function),
        coverageRefreshSeconds: 30,
        maxConcurrentExports: 2,
        exportStallSeconds: 60,
        allowVerbatimCsvFormulas: false,
      }),
  });

  async function app(operator: ReturnType<typeof ThreadlineOperatorModule.forRoot>, prefix?: string) {
    const moduleRef = await Test.createTestingModule({ imports: [...imports(), operator] }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    if (prefix) nest.setGlobalPrefix(prefix);
    await initOrClose(nest);
    if (!installed) await db.query(nest.get(CaptureService).installSql().up);
    installed = true;
    return nest;
  }
  let installed = false;

  const browse = (nest: INestApplication, url: string) =>
    request(nest.getHttpServer()).get(url).set('accept', 'text/html');

  it('mounts at operator.path whether it comes from forRoot or from an async factory, two apps side by side', async () => {
    const sync = await app(ThreadlineOperatorModule.forRoot({ path: '/ops', authorize: () => true }));
    const async = await app(
      ThreadlineOperatorModule.forRootAsync({
        useFactory: async (): Promise<OperatorOptions> => ({ path: '/internal/audit', authorize: () => true }),
      }),
    );
    try {
      await browse(sync, '/ops/timeline').expect(200);
      await browse(sync, '/audit/timeline').expect(404);
      await browse(async, '/internal/audit/timeline').expect(200);
      await browse(async, '/ops/timeline').expect(404);
      await browse(sync, '/internal/audit/timeline').expect(404);
    } finally {
      await sync.close();
      await async.close();
    }
  });

  it('answers 404 on every route when the async factory gives no operator options', async () => {
    const nest = await app(ThreadlineOperatorModule.forRootAsync({ useFactory: () => undefined }));
    try {
      for (const url of ['/audit/timeline', '/audit/coverage', '/audit/export?format=csv']) {
        const res = await request(nest.getHttpServer()).get(url).expect(404);
        expect(JSON.stringify(res.body)).not.toMatch(/changes|covered/);
      }
    } finally {
      await nest.close();
    }
  });

  it('without the retention module: no legal holds link, and /holds answers 503 saying what to import', async () => {
    const nest = await app(ThreadlineOperatorModule.forRoot({ authorize: () => true }));
    try {
      expect((await browse(nest, '/audit/timeline').expect(200)).text).not.toContain('Legal holds');
      const res = await request(nest.getHttpServer()).get('/audit/holds').set('accept', 'application/json').expect(503);
      expect(res.body.message).toBe(
        'legal holds could not be read: the retention module is not registered in this app (ThreadlineModule.forRoot registers it; with the modules one by one, import ThreadlineRetentionModule)',
      );
    } finally {
      await nest.close();
    }
  });

  it('with the retention module registered beside it: the holds page lists a hand-edited hold as stored, without a link', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ...imports(),
        ThreadlineRetentionModule.forRoot({ keepDays: 30 }),
        ThreadlineOperatorModule.forRoot({ authorize: () => true }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await initOrClose(nest);
    try {
      if (!installed) await db.query(nest.get(CaptureService).installSql().up);
      installed = true;
      await db.query(
        `INSERT INTO audit_legal_holds (filters, reason, held_by) VALUES ('{"table":"public.t","key":{"id":2}}', 'edited', 'ops')`,
      );
      const page = (await browse(nest, '/audit/holds').expect(200)).text;
      expect(page).toContain('Legal holds</a>');
      expect(page).toContain('<code>key={&quot;id&quot;:2}</code>');
      expect(page).not.toContain('Changes it covers');
    } finally {
      await db.query(`DELETE FROM audit_legal_holds`);
      await nest.close();
    }
  });

  it('links every page, form, export button and the coverage refresh below the global prefix', async () => {
    const nest = await app(ThreadlineOperatorModule.forRoot({ authorize: () => true }), 'api');
    try {
      for (const page of ['/api/audit/timeline', '/api/audit/coverage', '/api/audit/policy/redaction']) {
        const html = (await browse(nest, page).expect(200)).text;
        const urls = [...html.matchAll(/(?:href|action)="([^"#]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
        urls.push(...[...html.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]));
        expect(urls.length).toBeGreaterThan(3);
        for (const url of urls) {
          expect(url).toMatch(/^\/api\/audit\//);
          const status = (await browse(nest, url)).status;
          expect([200, 400]).toContain(status); // 400: an export link needs a format the page gives
        }
      }
      await browse(nest, '/audit/timeline').expect(404);
    } finally {
      await nest.close();
    }
  });

  it('stops boot listing every operator problem at once', async () => {
    // A silent logger: the boot fails on purpose, and TypeORM's connection attempt would print its error.
    const compile = Test.createTestingModule({
      imports: [
        ...imports(),
        ThreadlineOperatorModule.forRootAsync({
          useFactory: () =>
            ({
              path: 'audit/',
              coverageRefreshSeconds: 0,
              maxConcurrentExports: 0,
              exportStallSeconds: -1,
              allowVerbatimCsvFormulas: 'yes',
              signInUrl: 'javascript:alert(1)',
              traceUrl: 'javascript:alert("{traceId}")',
            }) as unknown as OperatorOptions,
        }),
      ],
    })
      .setLogger({ log() {}, error() {}, warn() {}, debug() {}, verbose() {} })
      .compile();
    await expect(compile).rejects.toThrow(
      /operator\.authorize is required[\s\S]*operator\.path must be a URL path[\s\S]*operator\.coverageRefreshSeconds must be[\s\S]*operator\.maxConcurrentExports must be a whole number from 1 to 1000[\s\S]*operator\.exportStallSeconds must be a number of seconds above 0[\s\S]*operator\.allowVerbatimCsvFormulas must be true or false \(got "yes"\)[\s\S]*operator\.signInUrl must be a path on this app[\s\S]*operator\.traceUrl must be an http\(s\) URL holding \{traceId\}/,
    );
  });
});
