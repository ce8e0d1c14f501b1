import * as path from 'path';
import type { ThreadlineModuleOptions } from '@threadline/nestjs';
import { demoActorOf, demoIsAuditor } from './demo-auth';

/**
 * Signed checkpoints (docs/trust.md "Checkpoints"), when THREADLINE_CHECKPOINT_DIR (where to keep them)
 * and THREADLINE_CHECKPOINT_KEY (a PKCS#8 PEM Ed25519 private key file) are set; off otherwise.
 */
function checkpointsFromEnv(): Pick<
  NonNullable<NonNullable<ThreadlineModuleOptions['health']>['integrity']>,
  'checkpoints'
> {
  const directory = process.env.THREADLINE_CHECKPOINT_DIR;
  const privateKeyFile = process.env.THREADLINE_CHECKPOINT_KEY;
  return directory || privateKeyFile ? { checkpoints: { directory, privateKeyFile } } : {};
}

/**
 * The demo's Threadline options: the one source of truth that both the
 * running app and the CLI (`gen-triggers` included) load.
 */
export const threadlineOptions: ThreadlineModuleOptions = {
  capture: {
    tables: {
      users: { mask: ['email'], exclude: ['password_hash'] },
      posts: { exceptColumns: ['updated_at'] },
      post_tags: {},
    },
    // src/migrations, whether this file runs from src (tests) or dist (npm start)
    migrationsDir: path.resolve(__dirname, '..', 'src', 'migrations'),
  },
  actor: { resolveActor: demoActorOf },
  operator: { authorize: demoIsAuditor, openApi: true, signInUrl: '/demo/auditor-session' },
  // TypeORM's own bookkeeping table stays unaudited by design; the audit log is sealed every
  // 30 s and /health verifies its hash chain at most every 5 minutes
  health: {
    expectedTables: ['users', 'posts', 'post_tags'],
    expectedUncoveredTables: ['migrations'],
    integrity: { sealEverySeconds: 30, ...checkpointsFromEnv() },
  },
  retention: { keepDays: 90, enabled: true, schedule: '0 3 * * *' },
  // the demo's commands run through its npm script: messages name it that way
  cli: { command: 'npm run cli --' },
};
