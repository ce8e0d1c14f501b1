#!/usr/bin/env node
// `npm run api:check` / `npm run api:update`: the public API of every published package (libs/*), as
// API Extractor reports it from the built declarations (dist/index.d.ts), against the report checked in
// at libs/<lib>/<lib>.api.md. A change to what a package exports, or to the shape of anything exported,
// changes its report, so it shows in review; `api:check` fails until the report is updated with it.
// One config for every lib, here; run after the build (`npm test` does). Extra arguments name libs
// (`node tools/api-report.js core capture`).
const { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } = require('@microsoft/api-extractor');
const { spawnSync } = require('child_process');
const { existsSync, mkdirSync, readdirSync } = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const update = process.argv.includes('--update');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
// every lib is published (tools/publish-libs.js publishes each folder of libs/)
const libs = readdirSync(path.join(root, 'libs')).filter((dir) =>
  existsSync(path.join(root, 'libs', dir, 'package.json')),
);

function configFor(lib) {
  const projectFolder = path.join(root, 'libs', lib);
  const entry = path.join(projectFolder, 'dist', 'index.d.ts');
  const reportTempFolder = path.join(root, 'tmp', 'api-report', lib);
  mkdirSync(reportTempFolder, { recursive: true });
  return ExtractorConfig.prepare({
    configObjectFullPath: path.join(projectFolder, 'api-extractor.json'), // not a file: names the project
    packageJsonFullPath: path.join(projectFolder, 'package.json'),
    configObject: {
      projectFolder,
      mainEntryPointFilePath: entry,
      // the declarations as a user's compiler reads them, with the workspace's settings (tsconfig.base.json:
      // node20 modules, which load NestJS 12's ES modules; skipLibCheck); the other @threadline packages are
      // external, each in its own report
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'node20',
            moduleResolution: 'node16',
            lib: ['ES2022'],
            types: ['node'],
            strict: true,
            experimentalDecorators: true,
            skipLibCheck: true,
          },
          files: [entry],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: lib,
        reportFolder: projectFolder,
        reportTempFolder,
        includeForgottenExports: false,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning', addToApiReportFile: true },
          // release tags (@public/@beta) are not used here; every export is public unless marked @internal
          'ae-missing-release-tag': { logLevel: 'none' },
          // a type used by an export but not exported itself is listed in the report, not printed
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          // doc comments are welcome, not required
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
        },
        // doc comments are prose for readers, not TSDoc: their syntax is not checked
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
  });
}

const changed = [];
const failed = [];
// names that are not libs (`npm test -- --projects=demo-api`) have no report
const selected = only.length ? only.filter((name) => libs.includes(name)) : libs;
if (!selected.length) {
  console.log('No package selected: no API report to check.');
  process.exit(0);
}
const unbuilt = selected.filter((lib) => !existsSync(path.join(root, 'libs', lib, 'dist', 'index.d.ts')));
if (unbuilt.length) {
  console.error(`Not built: ${unbuilt.map((l) => `libs/${l}`).join(', ')}. Run npm run build first.`);
  process.exit(1);
}
const configs = selected.map((lib) => [lib, configFor(lib)]);
// one TypeScript program for every lib, rather than one each: the libs share most of their declarations
const compilerState = CompilerState.create(configs[0][1], {
  additionalEntryPoints: configs.map(([, config]) => config.mainEntryPointFilePath),
});
for (const [lib, config] of configs) {
  const result = Extractor.invoke(config, {
    compilerState,
    localBuild: update,
    showVerboseMessages: false,
    messageCallback: (message) => {
      // what changed is said below, once for every lib, with the diff
      const quiet = ['console-api-report-not-copied', 'console-api-report-copied', 'console-api-report-created'];
      if (quiet.includes(message.messageId) || message.logLevel === ExtractorLogLevel.Info) message.handled = true;
      if (message.logLevel === ExtractorLogLevel.Verbose) message.handled = true;
    },
  });
  if (result.apiReportChanged) changed.push(lib);
  if (!result.succeeded && !result.apiReportChanged) failed.push(lib);
}

const report = (lib) => `libs/${lib}/${lib}.api.md`;
if (update) {
  console.log(changed.length ? `Updated ${changed.map(report).join(', ')}` : 'Every API report is up to date.');
} else if (!changed.length && !failed.length) {
  console.log(`The API reports of ${configs.length} package(s) match the build.`);
} else if (changed.length) {
  for (const lib of changed) {
    const diff = spawnSync(
      'git',
      ['diff', '--no-index', '--no-color', report(lib), path.join('tmp', 'api-report', lib, `${lib}.api.md`)],
      { cwd: root, encoding: 'utf8' },
    ).stdout.split('\n');
    console.error(diff.slice(0, 80).join('\n') + (diff.length > 80 ? `\n... (${diff.length - 80} more lines)` : ''));
  }
  console.error(
    `\nThe public API changed: ${changed.map(report).join(', ')} no longer match${changed.length === 1 ? 'es' : ''} the build ` +
      `(the new report is in tmp/api-report/<lib>/; diff it to see what changed).\n` +
      'If the change is intended, run `npm run api:update` and commit the updated report with it.',
  );
}
if (failed.length) console.error(`\nAPI Extractor failed for ${failed.map((l) => `libs/${l}`).join(', ')}.`);
process.exit(failed.length || (!update && changed.length) ? 1 : 0);
