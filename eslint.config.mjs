// Lint for the whole workspace (`npm run lint`, also run by `npm test`).
// typescript-eslint's recommended rules, Prettier owning the formatting, and
// Nx module boundaries as layers: core at the bottom, capture on core, the
// feature libs (actor, retention, proof, health, query) on capture (health on
// proof too: its Terminus indicator verifies the chain), baseline on health, export on query and proof, the operator
// surface on those, the umbrella (nestjs) on all of them, the demo app and tools on top.
import { readFileSync } from 'node:fs';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Every lib below the umbrella, from the one list of libs (tools/libs.json).
const LIBS = JSON.parse(readFileSync(new URL('./tools/libs.json', import.meta.url), 'utf8'))
  .filter((lib) => lib !== 'nestjs')
  .map((lib) => `scope:${lib}`);
const MAX_FILE_LINES = 250;
const MAX_FUNCTION_LINES = 80;
const layer = (tag, allowed) => ({ sourceTag: tag, onlyDependOnLibsWithTags: [tag, ...allowed] });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'tmp/**', '.nx/**', '.data/**', '**/*.js', '**/*.mjs', 'docs/**'] },
  { ignores: ['!libs/operator/src/**/assets/*.js'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    // The operator pages' browser script: plain ES5 that runs as served, no build step.
    files: ['libs/operator/src/**/assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        window: 'writable',
        location: 'readonly',
        fetch: 'readonly',
        setInterval: 'readonly',
      },
    },
    rules: { 'no-undef': 'error', 'no-var': 'off' },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: ['@threadline/testing', '@threadline/testing/.*'],
          depConstraints: [
            layer('scope:core', []),
            layer('scope:capture', ['scope:core']),
            layer('scope:actor', ['scope:core', 'scope:capture']),
            // A legal hold is timeline filters: retention keeps what the query's own filter SQL selects.
            layer('scope:retention', ['scope:core', 'scope:capture', 'scope:actor', 'scope:query']),
            // Tamper evidence (seals, verification, completeness) reads and seals what capture wrote.
            layer('scope:proof', ['scope:core', 'scope:capture']),
            // Health's Terminus indicator verifies the chain with proof; proof never reads health.
            layer('scope:health', ['scope:core', 'scope:capture', 'scope:proof']),
            // Baselines write snapshots once health's checks say the table is covered and its redaction
            // matches; the sealer (proof) takes them once complete.
            layer('scope:baseline', ['scope:core', 'scope:capture', 'scope:proof', 'scope:health']),
            // Queries read actor refs for their actor filter.
            layer('scope:query', ['scope:core', 'scope:capture', 'scope:actor']),
            // Exports stream what queries read, and sign their manifests with proof's checkpoints.
            layer('scope:export', ['scope:core', 'scope:capture', 'scope:proof', 'scope:query']),
            // The operator pages and routes show audit data (query, export), coverage (health), the chain (proof)
            // and the legal holds (retention).
            layer('scope:operator', [
              'scope:core',
              'scope:capture',
              'scope:actor',
              'scope:proof',
              'scope:health',
              'scope:query',
              'scope:export',
              'scope:retention',
            ]),
            layer('scope:nestjs', LIBS),
            layer('type:tool', []),
            layer('type:app', ['scope:nestjs', ...LIBS, 'type:tool']),
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Small enough to read (issue #27): no lib source file over 250 lines, no function over 80.
    files: ['libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'max-lines': ['error', { max: MAX_FILE_LINES }],
      'max-lines-per-function': ['error', { max: MAX_FUNCTION_LINES }],
    },
  },
  {
    // Errors as one class per failure, worded in one place per lib (#27): a lib's
    // thrown texts live in the factories of its <lib>.errors.ts, and the texts it
    // returns or logs in its <lib>.messages.ts. So no `new SomeError('...')` or
    // `new SomeException(`...`)` with the words at the throw site, and no inline
    // problem in InvalidOptionsError.of([...]), no inline command output and no inline `message:`.
    // *.problems.ts files are where a lib words its problems (like a messages file). Not yet: the SQL of
    // libs/capture/src/schema/*.sql.ts.
    files: ['libs/*/src/**/*.ts'],
    ignores: ['libs/capture/src/schema/*.sql.ts', 'libs/*/src/**/*.errors.ts', 'libs/*/src/**/*.problems.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'NewExpression[callee.name=/(Error|Exception)$/][arguments.0.type=/^(Literal|TemplateLiteral|BinaryExpression)$/]',
          message:
            "Inline error text: add a class with a factory to this lib's <lib>.errors.ts (or a message to its <lib>.messages.ts) and use it here.",
        },
        {
          selector:
            "CallExpression[callee.object.name='InvalidOptionsError'][callee.property.name='of'] > ArrayExpression > :matches(Literal, TemplateLiteral, BinaryExpression)",
          message: "Inline option problem: add a message function to this lib's <lib>.messages.ts and use it here.",
        },
        {
          // what a command prints (not its data: a dry run's SQL, a key, a JSON document are variables)
          selector:
            "CallExpression[callee.object.name='commandOutput'][callee.property.name=/^(text|warn)$/] > :matches(Literal, TemplateLiteral, BinaryExpression).arguments",
          message: "Inline command output: add a message function to this lib's <lib>.messages.ts and use it here.",
        },
        {
          // class-validator messages and the `{ statusCode, message }` bodies the routes answer with
          selector: "Property[key.name='message'] > :matches(Literal, TemplateLiteral, BinaryExpression).value",
          message: "Inline message: add it to this lib's <lib>.messages.ts and use it here.",
        },
      ],
    },
  },
  {
    // No import circles inside a lib (#27): a file that needs another's names must not be needed back. Between
    // libs, Nx's module boundaries already refuse a circle.
    files: ['libs/*/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
);
