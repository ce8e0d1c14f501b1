#!/usr/bin/env node
// `npm run docs:generate`: rewrites the lists in README.md and docs/*.md that mirror the code, between
// `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`, from the built libs (it builds what is stale
// first). apps/demo-api/test/docs-claims.spec.ts renders the same regions from the sources and fails,
// naming this script, when a file differs; it also checks the hand-written claims (triggers, audit
// tables, indexes, options, flags) against a real installed schema and the code.
const { readdirSync, readFileSync, writeFileSync } = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
// every published lib, in dependency order: the one list (tools/libs.json)
const LIBS = require('./libs.json');

/** README.md and every docs/*.md, relative to the repo root. */
function docFiles(root = ROOT) {
  return [
    'README.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

// nest-commander's metadata keys (nest-commander/src/constants), as its decorators write them.
const COMMAND_META = 'CommandBuilder:Command:Meta';
const SUB_COMMAND_META = 'CommandBuilder:Subcommand:Meta';
const OPTION_META = 'CommandBuilder:Option:Meta';

/** The flags (`--dry-run`, `-t, --tables <list>`) declared with `@Option` on a command class or its bases. */
function commandFlags(commandClass) {
  const flags = [];
  for (let proto = commandClass.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      const meta = typeof descriptor?.value === 'function' && Reflect.getMetadata(OPTION_META, descriptor.value);
      if (meta && !flags.some((f) => f.flags === meta.flags))
        flags.push({ flags: meta.flags, description: meta.description });
    }
  }
  // what a command is about first, then the flags most commands share
  const last = ['--dry-run', '--execute', '--json'];
  const rank = (f) => last.findIndex((name) => f.flags.startsWith(name));
  return flags.sort((a, b) => rank(a) - rank(b));
}

/**
 * Every nest-commander command the libs export, by its full name (`retention purge`), with its arguments,
 * description and flags. A parent that only groups subcommands (`retention`) is not listed itself.
 */
/** A lib's exports, and the providers of its Nest modules (commands come with their module, not as exports). */
function classesOf(module) {
  const values = Object.values(module).filter((value) => typeof value === 'function');
  const providers = values
    .filter((value) => isNestModule(value))
    .flatMap((value) => Reflect.getMetadata('providers', value) ?? [])
    .filter((provider) => typeof provider === 'function');
  return [...new Set([...values, ...providers])];
}

function commandsOf(modules) {
  const classes = new Set();
  for (const module of Object.values(modules))
    for (const value of classesOf(module))
      if (
        typeof value === 'function' &&
        (Reflect.getMetadata(COMMAND_META, value) || Reflect.getMetadata(SUB_COMMAND_META, value))
      )
        classes.add(value);
  const commands = [];
  for (const commandClass of classes) {
    const meta = Reflect.getMetadata(COMMAND_META, commandClass);
    if (!meta) continue;
    const subs = meta.subCommands ?? [];
    const entries = subs.length
      ? subs.map((sub) => ({ cls: sub, meta: Reflect.getMetadata(SUB_COMMAND_META, sub), parent: meta.name }))
      : [{ cls: commandClass, meta, parent: undefined }];
    for (const { cls, meta: m, parent } of entries)
      commands.push({
        name: parent ? `${parent} ${m.name}` : m.name,
        arguments: m.arguments,
        description: m.description,
        flags: commandFlags(cls),
        className: cls.name,
        commandClass: cls,
      });
  }
  // by name: the order of a package's exports differs between builds (tsc, swc)
  return commands.sort((a, b) => a.name.localeCompare(b.name));
}

/** The `--long` name of each flag of a command (`--tables`), plus the `-t` short forms. */
function flagNames(command) {
  return command.flags.flatMap((f) => f.flags.split(/[ ,]+/).filter((part) => part.startsWith('-')));
}

/** A class Nest takes as a module: `@Module` metadata, or a `forRoot` returning a dynamic module. */
function isNestModule(value) {
  const keys = Reflect.getMetadataKeys(value);
  return (
    ['imports', 'providers', 'controllers', 'exports'].some((k) => keys.includes(k)) ||
    typeof value.forRoot === 'function'
  );
}

/** Layers as eslint.config.mjs declares them: each project tag and the tags it may import besides its own. */
function layersOf(eslintConfig) {
  if (!/const LIBS = JSON\.parse\(readFileSync\(new URL\('\.\/tools\/libs\.json'/.test(eslintConfig))
    throw new Error(
      'eslint.config.mjs no longer reads its LIBS from tools/libs.json: update layersOf() in tools/docs-generate.js',
    );
  const quoted = (text) => [...text.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  // eslint.config.mjs's LIBS: every lib of tools/libs.json but the umbrella, as scope tags
  const libTags = LIBS.filter((lib) => lib !== 'nestjs').map((lib) => `scope:${lib}`);
  const layers = {};
  for (const m of eslintConfig.matchAll(/layer\('([^']+)',\s*(\[[^\]]*\]|LIBS)\)/g))
    layers[m[1]] = [...(/\bLIBS\b/.test(m[2]) ? libTags : []), ...quoted(m[2])];
  return layers;
}

/**
 * The facts the generated regions show, read from the libs' modules (`{ core, capture, ... }`: the built
 * packages for this script, the sources under Jest) and eslint.config.mjs.
 */
function collectFacts(modules, root = ROOT) {
  const eslintConfig = readFileSync(path.join(root, 'eslint.config.mjs'), 'utf8');
  const layers = layersOf(eslintConfig);
  const commands = commandsOf(modules);
  const libs = LIBS.map((lib) => {
    const tags = JSON.parse(readFileSync(path.join(root, 'libs', lib, 'project.json'), 'utf8')).tags ?? [];
    const tag = tags.find((t) => t.startsWith('scope:'));
    const imports = (layers[tag] ?? []).filter((t) => t !== tag).map((t) => t.replace(/^scope:/, ''));
    // what the lib itself defines: its exports that no lib below it exports too (capture re-exports core)
    const below = new Set(imports.flatMap((name) => Object.values(modules[name] ?? {})));
    const own = Object.entries(modules[lib]).filter(([, value]) => typeof value === 'function' && !below.has(value));
    const ownClasses = new Set(classesOf(Object.fromEntries(own)));
    return {
      name: lib,
      tag,
      imports,
      // classes named *Module with module metadata or a forRoot
      nestModules: own.filter(([name, value]) => /Module$/.test(name) && isNestModule(value)).map(([name]) => name),
      commands: commands.filter((c) => ownClasses.has(c.commandClass)).map((c) => c.name),
    };
  });
  const { TIMELINE_FILTERS } = modules.query;
  const { EXPORT_FORMATS } = modules.export;
  const { THREADLINE_METRICS, THREADLINE_SPANS } = modules.core;
  return {
    metrics: Object.values(THREADLINE_METRICS),
    spans: Object.values(THREADLINE_SPANS),
    filters: TIMELINE_FILTERS.map((f) => ({
      key: f.key,
      param: f.param,
      arg: f.arg,
      label: f.label,
      description: f.description,
    })),
    formats: [...EXPORT_FORMATS],
    commands,
    libs,
  };
}

const code = (text) => `\`${text}\``;
const kebab = (param) => param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Each region's Markdown, by name. */
function renderRegions(facts) {
  const filters = [
    '| filter (API) | HTTP query / CLI flag | selects |',
    '| --- | --- | --- |',
    ...facts.filters.map(
      (f) =>
        `| ${code(f.key)} | ${code(`${f.param}=`)} / ${code(`--${kebab(f.param)} <${f.arg}>`)} | ${f.description} |`,
    ),
  ].join('\n');
  const commands = facts.commands
    .map((c) => {
      const head = `- ${code(`${c.name}${c.arguments ? ` ${c.arguments}` : ''}`)}: ${c.description}`;
      const flags = c.flags.map((f) => code(f.flags)).join(', ');
      return flags ? `${head}. Flags: ${flags}` : head;
    })
    .join('\n');
  const layers = [
    '| lib | may import | its Nest module | its commands |',
    '| --- | --- | --- | --- |',
    ...facts.libs.map(
      (l) =>
        `| ${code(`@threadline/${l.name}`)} | ${l.imports.length ? l.imports.map((i) => code(`@threadline/${i}`)).join(', ') : 'no other Threadline lib'} | ${l.nestModules.length ? l.nestModules.map(code).join(', ') : 'none (plain code)'} | ${l.commands.length ? l.commands.map(code).join(', ') : 'none'} |`,
    ),
  ].join('\n');
  const attributes = (list) => (list.length ? list.map(code).join(', ') : 'none');
  const metrics = [
    '| metric | instrument | unit | attributes | what it counts |',
    '| --- | --- | --- | --- | --- |',
    ...facts.metrics.map(
      (m) => `| ${code(m.name)} | ${m.instrument} | ${code(m.unit)} | ${attributes(m.attributes)} | ${m.description} |`,
    ),
  ].join('\n');
  const spans = [
    '| span | attributes (and `error.type` when it failed) | what it covers |',
    '| --- | --- | --- |',
    ...facts.spans.map((t) => `| ${code(t.name)} | ${attributes(t.attributes)} | ${t.description} |`),
  ].join('\n');
  return { filters, commands, layers, metrics, spans };
}

const REGION = /(<!-- generated:([\w-]+) -->\n)([\s\S]*?)(<!-- \/generated:\2 -->)/g;

/** The text with every generated region rewritten; unknown region names are an error. */
function applyRegions(text, regions, file = 'file') {
  return text.replace(REGION, (_whole, open, name, _body, close) => {
    if (!(name in regions)) throw new Error(`${file}: unknown generated region ${name}`);
    return `${open}${regions[name]}\n${close}`;
  });
}

/** The names of the generated regions in a text. */
function regionNames(text) {
  return [...text.matchAll(REGION)].map((m) => m[2]);
}

module.exports = {
  LIBS,
  docFiles,
  collectFacts,
  renderRegions,
  applyRegions,
  regionNames,
  flagNames,
};

if (require.main === module) {
  const { execFileSync } = require('child_process');
  execFileSync(process.execPath, [path.join(__dirname, 'ensure-built.js')], { stdio: 'inherit', cwd: ROOT });
  require('reflect-metadata');
  const modules = Object.fromEntries(
    LIBS.map((lib) => [lib, require(path.join(ROOT, 'libs', lib, 'dist', 'index.js'))]),
  );
  const regions = renderRegions(collectFacts(modules));
  const used = new Set();
  for (const file of docFiles()) {
    const full = path.join(ROOT, file);
    const text = readFileSync(full, 'utf8');
    regionNames(text).forEach((name) => used.add(name));
    const next = applyRegions(text, regions, file);
    if (next !== text) {
      writeFileSync(full, next);
      console.log(`rewrote ${file}`);
    }
  }
  for (const name of Object.keys(regions)) if (!used.has(name)) console.warn(`no file has the region ${name}`);
}
