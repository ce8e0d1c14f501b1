import { INestApplication } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import * as capture from '@threadline/capture';
import * as core from '@threadline/core';
import * as exportLib from '@threadline/export';
import * as queryLib from '@threadline/query';
import * as health from '@threadline/health';
import * as nestjs from '@threadline/nestjs';
import * as operator from '@threadline/operator';
import * as retention from '@threadline/retention';
import { createTestDatabase, TestDatabase } from '@threadline/testing';
import { existsSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { AppModule } from '../src/app.module';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface CommandFact {
  name: string;
  arguments?: string;
  className: string;
  flags: { flags: string; description: string }[];
}
interface Facts {
  filters: { key: string; param: string; label: string }[];
  formats: string[];
  commands: CommandFact[];
  libs: { name: string; imports: string[]; nestModules: string[] }[];
}
/** tools/docs-generate.js, the script behind `npm run docs:generate`. */
const generator: {
  docFiles(): string[];
  collectFacts(modules: Record<string, object>): Facts;
  renderRegions(facts: Facts): Record<string, string>;
  applyRegions(text: string, regions: Record<string, string>, file?: string): string;
  regionNames(text: string): string[];
  LIBS: string[];
  flagNames(command: CommandFact): string[];
  // a plain script, so that it runs without a build step of its own
  // eslint-disable-next-line @typescript-eslint/no-require-imports
} = require(path.join(ROOT, 'tools', 'docs-generate.js'));

const DOCS = generator.docFiles();
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
/** The text of a file from a heading (its whole line, any level) to the next heading of that level or above. */
function section(file: string, heading: string): string {
  const lines = read(file).split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === heading);
  if (start < 0) throw new Error(`${file} has no heading "${heading}"`);
  const level = lines[start].indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}
/** The paragraph or list item of a text that contains `needle`. */
function passage(text: string, needle: string): string {
  const found = text.split(/\n\s*\n|\n(?=\s*[-|] )/).find((p) => p.includes(needle));
  if (!found) throw new Error(`no passage contains "${needle}"`);
  return found;
}
/** Every `code span` of a text, without the backticks. */
const codeSpans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
const sorted = (list: Iterable<string>) => [...new Set(list)].sort();
const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
/**
 * Every run of three or more of `words` in a row, as prose or code lists them (`a, b and c`, `a / b / c`,
 * `` `a`, `b` or `c` ``), across the docs: the lists a doc makes of a set the code defines.
 */
function listsOf(words: readonly string[]): { file: string; list: string[] }[] {
  const word = `\`?(?:${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\`?`;
  const separator = `(?:\\s*[,/|]\\s*(?:(?:and|or) )?|\\s+(?:and|or)\\s+)`;
  const run = new RegExp(`(?<![\\w.-])${word}(?:${separator}${word}){2,}(?![\\w-])`, 'g');
  return DOCS.flatMap((file) =>
    (read(file).match(run) ?? []).map((list) => ({
      file,
      list: list.split(new RegExp(separator)).map((w) => w.replace(/`/g, '')),
    })),
  );
}

/**
 * The lists in README.md and docs/*.md that mirror the code: each generated region is what
 * `npm run docs:generate` writes from the code, and each hand-written claim (how many triggers, which
 * audit tables, which indexes, options and their defaults, commands and their flags) is compared with
 * a real installed schema, a booted demo app, or the code's own tables.
 */
describe('the docs say what the code does', () => {
  let db: TestDatabase;
  let bare: TestDatabase;
  let app: INestApplication;
  // every lib of tools/libs.json (the one list), from its sources here, as the generator reads their builds
  const facts = generator.collectFacts(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Object.fromEntries(generator.LIBS.map((lib) => [lib, require(`@threadline/${lib}`) as object])),
  );
  const schema = {
    tables: [] as string[],
    indexes: [] as string[],
    bareIndexes: [] as string[],
    triggers: [] as string[],
    eventTriggers: [] as { evtname: string; evtevent: string; evttags: string[] | null }[],
  };

  beforeAll(async () => {
    // the demo as it runs: its migrations install the audit schema and capture users, posts, post_tags
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ databaseUrl: db.url, runMigrations: true }), DiscoveryModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    // a database with nothing but the install SQL: every table in it is an audit table
    bare = await createTestDatabase();
    await bare.query(capture.auditSchemaSql('public', { queryIndexes: false }).up);
    const names = async (target: TestDatabase, sql: string) =>
      ((await target.query(sql)) as { name: string }[]).map((r) => r.name).sort();
    schema.tables = await names(
      bare,
      `SELECT relname AS name FROM pg_class WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace`,
    );
    const indexSql = `SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY('{${schema.tables.join(',')}}')`;
    schema.indexes = await names(db, indexSql);
    schema.bareIndexes = await names(bare, indexSql);
    schema.triggers = await names(
      db,
      `SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'public.posts'::regclass AND NOT tgisinternal`,
    );
    schema.eventTriggers = (await db.query(
      `SELECT evtname, evtevent, evttags FROM pg_event_trigger ORDER BY evtname`,
    )) as typeof schema.eventTriggers;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await bare?.drop();
  });

  describe('generated regions', () => {
    const regions = generator.renderRegions(facts);

    it.each(DOCS)('%s is as npm run docs:generate writes it', (file) => {
      const text = read(file);
      const stale = generator.regionNames(text).filter((name) => {
        const body = new RegExp(`<!-- generated:${name} -->\\n([\\s\\S]*?)<!-- /generated:${name} -->`).exec(text);
        return body?.[1] !== `${regions[name]}\n`;
      });
      expect({ file, stale, fix: stale.length ? 'run npm run docs:generate' : undefined }).toEqual({
        file,
        stale: [],
        fix: undefined,
      });
      expect(generator.applyRegions(text, regions, file)).toBe(text);
    });

    it('every region is in some file', () => {
      const used = new Set(DOCS.flatMap((file) => generator.regionNames(read(file))));
      expect(sorted(Object.keys(regions)).filter((name) => !used.has(name))).toEqual([]);
    });

    it('says which libs are Nest modules', () => {
      const claim = /Every lib but (\w+) is a Nest module/.exec(read('README.md'))?.[1];
      expect([claim]).toEqual(facts.libs.filter((lib) => !lib.nestModules.length).map((lib) => lib.name));
    });

    it('the command list is every command the demo app registers', () => {
      const discovered = app
        .get(DiscoveryService)
        .getProviders()
        .map((wrapper) => wrapper.metatype as { name: string } | null)
        .filter((type): type is { name: string } => typeof type === 'function')
        .filter(
          (type) =>
            Reflect.getMetadata('CommandBuilder:Command:Meta', type) ||
            Reflect.getMetadata('CommandBuilder:Subcommand:Meta', type),
        )
        .filter((type) => !(Reflect.getMetadata('CommandBuilder:Command:Meta', type)?.subCommands ?? []).length)
        .map((type) => type.name);
      expect(sorted(discovered)).toEqual(sorted(facts.commands.map((c) => c.className)));
    });
  });

  describe('capture', () => {
    it('says how many triggers each audited table gets, and names them', () => {
      const suffixes = schema.triggers.map((name) => name.replace(/^threadline_audit_posts/, ''));
      expect(schema.triggers.length).toBeGreaterThanOrEqual(4);
      const claim = passage(read('docs/domain-reference.md'), 'statement-level triggers');
      const count = /\b(\w+) statement-level triggers/.exec(claim)?.[1];
      expect(count).toBe(NUMBERS[schema.triggers.length]);
      // `threadline_audit_<table>` and each suffix, `..._update`
      const named = codeSpans(claim)
        .filter((span) => span.startsWith('threadline_audit_<table>') || span.startsWith('..._'))
        .map((span) => span.replace(/^threadline_audit_<table>|^\.\.\./, ''));
      expect(sorted(named)).toEqual(sorted(suffixes));
      // coverage counts the same triggers
      const coverage = passage(read('docs/domain-reference.md'), 'CoverageService.triggerCoverage()');
      expect(/all (\w+) Threadline triggers/.exec(coverage)?.[1]).toBe(NUMBERS[schema.triggers.length]);
    });

    it('names every audit table where it lists them, and no other', () => {
      expect(schema.tables.length).toBeGreaterThanOrEqual(8);
      const tablesOf = (text: string) => sorted(codeSpans(text).filter((s) => /^audit_[a-z_]+$/.test(s)));
      const tablesSection = section('docs/domain-reference.md', 'Tables, columns and how capture works');
      // the bullet list at the top of the section: one bullet per table
      const bullets = tablesSection.split('\n').filter((l) => /^- `audit_[a-z_]+`/.test(l));
      expect(sorted(bullets.map((l) => /^- `(audit_[a-z_]+)`/.exec(l)![1]))).toEqual(schema.tables);
      expect(tablesOf(passage(read('docs/production-checklist.md'), 'left out of coverage'))).toEqual(schema.tables);
      // and every audit_* name anywhere in the docs is a table, an index, a domain or a column the schema has
      const known = new Set([...schema.tables, ...schema.indexes, 'audit_change_op', 'audit_transaction_id']);
      const unknown = DOCS.flatMap((file) =>
        codeSpans(read(file))
          .flatMap((span) => span.match(/\baudit_[a-z_]+/g) ?? [])
          .filter((name) => !known.has(name) && !/^audit_(changes|transactions|actions)_/.test(name))
          .map((name) => `${file}: ${name}`),
      );
      expect(sorted(unknown)).toEqual([]);
    });

    it('the indexing guide lists every index of the audit tables, with or without query indexes, and no other', () => {
      const always = section('docs/audit-indexing.md', 'Always installed');
      const query = section('docs/audit-indexing.md', 'Query indexes (`capture.queryIndexes`, default true)');
      const indexesOf = (text: string) =>
        sorted(
          text
            .split('\n')
            .filter((l) => l.startsWith('| `'))
            .map((l) => /^\| `([^`]+)`/.exec(l)![1]),
        );
      expect(indexesOf(always)).toEqual(schema.bareIndexes);
      expect(indexesOf(query)).toEqual(schema.indexes.filter((name) => !schema.bareIndexes.includes(name)));
      // an index named anywhere in the docs exists
      const named = DOCS.flatMap((file) =>
        codeSpans(read(file))
          .filter((span) => /^audit_[a-z_]+_(idx|pkey|brin|key)$/.test(span))
          .filter((name) => !schema.indexes.includes(name))
          .map((name) => `${file}: ${name}`),
      );
      expect(named).toEqual([]);
    });

    it('names the event triggers the install creates, with their events and command tags', () => {
      const text = read('docs/schema-changes.md');
      const claim = passage(text, 'event triggers do this');
      expect(/(\w+) event triggers do this/i.exec(claim)?.[1].toLowerCase()).toBe(NUMBERS[schema.eventTriggers.length]);
      for (const trigger of schema.eventTriggers)
        expect({
          trigger: trigger.evtname,
          event: claim.includes(`\`${trigger.evtname}\` (\`${trigger.evtevent}\``),
        }).toEqual({
          trigger: trigger.evtname,
          event: true,
        });
      // the tags of threadline_ddl, as the opening paragraph lists them
      const ddl = schema.eventTriggers.find((t) => t.evtname === 'threadline_ddl')!;
      const opening = passage(text, '`threadline_ddl`, on `ddl_command_end`');
      const tags = codeSpans(opening).filter((span) => /^[A-Z][A-Z ]+$/.test(span));
      expect(sorted(tags)).toEqual(sorted(ddl.evttags ?? []));
    });
  });

  it('tools/libs.json lists every published lib (each folder of libs/), each after the libs it may import', () => {
    const folders = readdirSync(path.join(ROOT, 'libs')).filter((d) =>
      existsSync(path.join(ROOT, 'libs', d, 'package.json')),
    );
    expect([...generator.LIBS].sort()).toEqual(folders.sort());
    for (const lib of facts.libs)
      for (const below of lib.imports)
        expect({
          lib: lib.name,
          imports: below,
          before: generator.LIBS.indexOf(below) < generator.LIBS.indexOf(lib.name),
        }).toEqual({
          lib: lib.name,
          imports: below,
          before: true,
        });
  });

  describe('exploration and export', () => {
    it('every list of filters names them all', () => {
      // a paragraph, list item or table row naming four filters or more by key or parameter (`actorRef` or
      // `actor`) names all of them
      const names = new Set(facts.filters.flatMap((f) => [f.key, f.param]));
      const partial = DOCS.flatMap((file) =>
        read(file)
          .split(/\n\s*\n|\n(?=\s*[-|] )/)
          .map((p) => ({ p, found: new Set(codeSpans(p).filter((s) => names.has(s))) }))
          .filter(({ found }) => found.size >= 4)
          .filter(({ found }) => facts.filters.some((f) => !found.has(f.key) && !found.has(f.param)))
          .map(({ p }) => `${file}: ${p.slice(0, 100)}`),
      );
      expect(partial).toEqual([]);
      // the timeline page's form, in words: one field per filter, by its label
      const row = read('docs/operator-surface.md')
        .split('\n')
        .find((l) => l.startsWith('| `/audit/timeline` |'))!;
      const form = /the API's filters as a form \(([^|]*?)\); a blank field/.exec(row)![1].toLowerCase();
      for (const filter of facts.filters)
        expect({ label: filter.label, named: form.includes(filter.label.toLowerCase()) }).toEqual({
          label: filter.label,
          named: true,
        });
    });

    it('every list of export formats is the code’s', () => {
      const formats = facts.formats.map((f) => f.toUpperCase());
      const word = formats.join('|');
      const list = new RegExp(`\\b(?:${word})(?:(?:\\s*[,/]\\s*|,? (?:and|or) )(?:${word})\\b)+`, 'g');
      const lists = DOCS.flatMap((file) => (read(file).match(list) ?? []).map((l) => ({ file, list: l })));
      expect(lists.length).toBeGreaterThanOrEqual(3);
      for (const { file, list: l } of lists)
        expect({ file, formats: sorted(l.split(/\s*[,/]\s*|,? (?:and|or) /)) }).toEqual({
          file,
          formats: sorted(formats),
        });
    });

    it('every list of change operations is the audit_change_op domain’s', async () => {
      const [{ def }] = (await db.query(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'audit_change_op_check'`,
      )) as { def: string }[];
      const ops = sorted([...def.matchAll(/'(\w+)'/g)].map((m) => m[1]));
      expect(ops).toEqual(sorted(queryLib.CHANGE_OPS));
      const lists = listsOf(ops);
      expect(lists.length).toBeGreaterThanOrEqual(3);
      for (const { file, list } of lists) expect({ file, ops: sorted(list) }).toEqual({ file, ops });
    });

    it('every list of actor types is the code’s', () => {
      const lists = listsOf(core.ACTOR_TYPES);
      expect(lists.length).toBeGreaterThanOrEqual(1);
      for (const { file, list } of lists)
        expect({ file, types: sorted(list) }).toEqual({ file, types: sorted(core.ACTOR_TYPES) });
    });

    it('the events table lists every channel Threadline publishes on', () => {
      const rows = section('docs/domain-reference.md', 'Events')
        .split('\n')
        .filter((l) => /^\| `threadline:/.test(l))
        .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
      expect(sorted(rows)).toEqual(sorted(Object.values(core.THREADLINE_EVENT_NAMES)));
    });

    it('names the CSV columns in the order an export writes them', async () => {
      const { body } = await app.get(exportLib.ExportService).exportChanges({}, { format: 'csv' });
      const header = body.split(/\r?\n/)[0];
      const claim = passage(read('docs/domain-reference.md'), 'fixed column order');
      const columns = /fixed column order `([^`]+)`/.exec(claim.replace(/\n\s*/g, ' '))![1];
      expect(columns.split(/,\s*/).join(',')).toBe(header);
    });

    it('names every field of the coverage report', async () => {
      const report = await app.get(health.CoverageService).report();
      const claim = passage(read('docs/domain-reference.md'), 'is `CoverageReport`');
      const fields = codeSpans(/`CoverageReport`\s*\(([^)]*)\)/.exec(claim)![1]);
      expect(sorted(fields)).toEqual(sorted(Object.keys(report)));
    });
  });

  describe('options', () => {
    /** Each slice's option keys (`capture`, `health.integrity`, ...), as the validation that stops the boot lists them. */
    function optionKeys(): Record<string, string[]> {
      const probe = (options: object) => {
        try {
          nestjs.checkThreadlineOptions(options as never);
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      };
      const slices = ['capture', 'actor', 'retention', 'health', 'operator', 'cli'];
      const messages =
        probe({ __probe: 1, ...Object.fromEntries(slices.map((s) => [s, { __probe: 1 }])) }) +
        probe({ health: { integrity: { __probe: 1 } } });
      const keys: Record<string, string[]> = {};
      for (const m of messages.matchAll(/(?:^|\s)([\w.]*?)\.?__probe is not a known option \(allowed: ([^)]*)\)/g))
        keys[m[1] || 'ThreadlineModule.forRoot'] = m[2].split(', ');
      return keys;
    }
    const keys = optionKeys();

    it('every option is documented, and every documented option exists', () => {
      expect(Object.keys(keys).sort()).toEqual(
        [
          'ThreadlineModule.forRoot',
          'actor',
          'capture',
          'cli',
          'health',
          'health.integrity',
          'operator',
          'retention',
        ].sort(),
      );
      // as code: in a code span (`keepDays`, `health.strict`) or a fenced example (`strict: true,`)
      const all = DOCS.map(read)
        .flatMap((text) => [...codeSpans(text), ...[...text.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1])])
        .join('\n');
      const undocumented = Object.entries(keys).flatMap(([slice, names]) =>
        names.filter((name) => !new RegExp(`\\b${name}\\b`).test(all)).map((name) => `${slice}.${name}`),
      );
      expect(undocumented).toEqual([]);
      // `capture.maskPlaceholder`, `health.integrity.waitSeconds`: a dotted option path names a real option
      const gone = DOCS.flatMap((file) =>
        [
          ...read(file).matchAll(
            /(?<![\w/.-])(capture|actor|retention|health|operator|cli)((?:\.[a-z][A-Za-z]*)+)(?![\w(-])/g,
          ),
        ]
          .map((m) => [m[1], ...m[2].slice(1).split('.')])
          // not a file (`cli.js`) or a method (`retention.purge(`)
          .filter(([, name]) => !['js', 'ts', 'json', 'mjs', 'md'].includes(name))
          .filter(([slice, name, sub]) => {
            if (!keys[slice].includes(name)) return true;
            return (
              sub !== undefined && keys[`${slice}.${name}`] !== undefined && !keys[`${slice}.${name}`].includes(sub)
            );
          })
          .map((parts) => `${file}: ${parts.join('.')}`),
      );
      expect(sorted(gone)).toEqual([]);
    });

    /** The README's table of a slice's options: key (or `a` / `b`) and its default as written. */
    function readmeTable(heading: string): Record<string, string> {
      const rows = section('README.md', heading)
        .split('\n')
        .filter((l) => /^\| `/.test(l));
      return Object.fromEntries(
        rows.flatMap((row) => {
          const [names, defaultValue] = row.split(' | ').map((cell) => cell.replace(/^\| /, '').trim());
          return codeSpans(names).map((name) => [name, defaultValue.replace(/^`|`$/g, '')]);
        }),
      );
    }
    const shown = (value: unknown) =>
      value === undefined
        ? undefined
        : value === null
          ? 'off'
          : Array.isArray(value) && value.length === 0
            ? '{}'
            : typeof value === 'number'
              ? String(value)
              : String(value);

    it('the README tables name every capture and retention option with its default', () => {
      const captureTable = readmeTable('Capture options (`capture`)');
      expect(sorted(Object.keys(captureTable))).toEqual(sorted(keys.capture));
      const captureDefaults = capture.resolveCaptureOptions({}) as unknown as Record<string, unknown>;
      for (const key of keys.capture)
        expect({ key, default: captureTable[key] }).toEqual({ key, default: shown(captureDefaults[key]) });

      const retentionTable = readmeTable('Retention options (`retention`)');
      expect(sorted(Object.keys(retentionTable))).toEqual(sorted(keys.retention));
      const retentionDefaults = retention.resolveRetentionPolicy({ keepDays: 1 }) as unknown as Record<string, unknown>;
      for (const key of keys.retention.filter((k) => !['keepDays', 'maxAgeSeconds', 'schedule'].includes(k)))
        expect({ key, default: retentionTable[key] }).toEqual({ key, default: shown(retentionDefaults[key]) });
      expect(retentionDefaults.schedule).toBeUndefined();
    });

    it('the operator page lists every operator option, with the code’s defaults', () => {
      const block = /```ts\nThreadlineModule\.forRoot\(\{\n {2}operator: \{\n([\s\S]*?)\n {2}\},/.exec(
        read('docs/operator-surface.md'),
      )![1];
      const lines = block.split('\n').map((l) => /^\s+(\w+):\s*(.*?),?\s*\/\/\s*(.*)$/.exec(l)!);
      expect(sorted(lines.map((l) => l[1]))).toEqual(sorted(keys.operator));
      const defaults = operator.resolveOperatorOptions({ authorize: () => true }) as unknown as Record<string, unknown>;
      for (const [, key, value, comment] of lines)
        if (/^default\b/.test(comment))
          expect({ key, default: value.replace(/,$/, '').replace(/^'|'$/g, '') }).toEqual({
            key,
            default: String(defaults[key]),
          });
    });
  });

  describe('commands', () => {
    const byName = new Map(facts.commands.map((c) => [c.name, c]));
    const commandNames = [...byName.keys()].sort((a, b) => b.length - a.length);

    it('every flag a doc gives a command is one it has', () => {
      // `npm run cli -- export --format csv ...`, `verify-integrity [--from T] [--json]`, `export --actor user:2`
      const shown = DOCS.flatMap((file) => {
        const text = read(file);
        const sh = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
          m[1].replace(/\\\n\s*/g, ' ').split('\n'),
        );
        return [...sh, ...codeSpans(text)].map((line) => ({ file, line: line.replace(/\s+#.*$/, '') }));
      });
      const wrong: string[] = [];
      let checked = 0;
      for (const { file, line } of shown) {
        // up to a pipe: `| jq -r` flags are jq's
        const invocation = /^(?:npm run (?:--silent )?cli -- |node \S*cli\.js )?([^|]*)/.exec(line)![1].trim();
        const name = commandNames.find((n) => invocation === n || invocation.startsWith(`${n} `));
        if (!name) continue;
        const flags = invocation.match(/(?<=\s|\[)--?[a-z][a-z-]*/g) ?? [];
        const allowed = [...generator.flagNames(byName.get(name)!), '--help'];
        checked += flags.length;
        wrong.push(...flags.filter((f) => !allowed.includes(f)).map((f) => `${file}: ${name} ${f} (in ${line})`));
      }
      expect(wrong).toEqual([]);
      expect(checked).toBeGreaterThan(30);
    });

    it('a flag named on its own (`--csv-formulas verbatim`) is a flag of some command', () => {
      // npm's and tsc's own flags, which the README names too
      const others = ['--tag', '--rootDir', '--legacy-peer-deps', '--help'];
      const every = new Set([...facts.commands.flatMap((c) => generator.flagNames(c)), ...others]);
      const unknown = DOCS.flatMap((file) =>
        codeSpans(read(file))
          .filter((span) => /^--[a-zA-Z]/.test(span))
          .map((span) => span.split(' ')[0])
          .filter((flag) => !every.has(flag))
          .map((flag) => `${file}: ${flag}`),
      );
      expect(unknown).toEqual([]);
    });
  });

  describe('references', () => {
    it('the dependency table names every package the libs depend on, and only packages the workspace has', () => {
      const manifest = (dir: string) =>
        JSON.parse(read(`${dir}/package.json`)) as Record<string, Record<string, string>>;
      const libs = generator.LIBS.map((lib) => manifest(`libs/${lib}`));
      const names = (m: Record<string, Record<string, string>>, keys: string[]) =>
        keys.flatMap((key) => Object.keys(m[key] ?? {})).filter((name) => !name.startsWith('@threadline/'));
      const table = section('README.md', 'Dependencies and why')
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .flatMap((l) => codeSpans(l.split(' | ')[0]));
      // what a Nest app brings anyway
      const implied = ['reflect-metadata', 'rxjs'];
      const libDependencies = libs.flatMap((m) =>
        names(m, ['dependencies', 'peerDependencies', 'optionalDependencies']),
      );
      expect(sorted(libDependencies.filter((name) => !table.includes(name) && !implied.includes(name)))).toEqual([]);
      const workspace = new Set([
        ...libDependencies,
        ...names(manifest('.'), ['dependencies', 'devDependencies']),
        ...names(manifest('apps/demo-api'), ['dependencies', 'devDependencies']),
      ]);
      expect(table.filter((name) => !workspace.has(name))).toEqual([]);
    });

    it('the files and specs the docs point at exist', () => {
      const missing = DOCS.flatMap((file) =>
        codeSpans(read(file))
          .filter((span) => /^(libs|apps|tools|docs)\/[\w./-]+$/.test(span) && !span.includes('<'))
          .filter((span) => !existsSync(path.join(ROOT, span)))
          .map((span) => `${file}: ${span}`),
      );
      expect(missing).toEqual([]);
    });
  });
});
