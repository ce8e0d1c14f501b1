// Shared Jest settings for every project: swc compiles TypeScript with
// decorator metadata (Nest's DI needs it), and workspace aliases resolve to
// each lib's source so tests never depend on a previous build.
const path = require('path');

const libs = ['core', 'capture', 'actor', 'retention', 'health', 'export', 'operator', 'nestjs'];
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
moduleNameMapper['^@threadline/testing/browser$'] = path.join(__dirname, 'tools', 'testing', 'browser.ts');
moduleNameMapper['^@threadline/testing/packed$'] = path.join(__dirname, 'tools', 'testing', 'packed.ts');
moduleNameMapper['^@threadline/testing/module-registration$'] = path.join(
  __dirname,
  'tools',
  'testing',
  'module-registration.ts',
);

// Packages in the installed tree that are ES modules only (no CommonJS entry).
const ESM_ONLY_PACKAGES = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'uint8array-extras',
];

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
    '^.+\\.js$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'ecmascript', importMeta: true }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // NestJS 12 and its packages ship only as ES modules. Node runs them for
  // the CommonJS build through require(esm); Jest's own module registry
  // cannot before Node 24.9, so those packages are compiled to CommonJS here
  // (the test files keep one module system and one registry per test file).
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  globalSetup: path.join(__dirname, 'tools', 'testing', 'global-setup.ts'),
  globalTeardown: path.join(__dirname, 'tools', 'testing', 'global-teardown.ts'),
  testTimeout: 60000,
};
