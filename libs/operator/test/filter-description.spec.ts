import { OptionMeta } from 'nest-commander/src/constants';
import { TIMELINE_FILTERS } from '@threadline/query';
import { ExportCommand } from '@threadline/export';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { TimelineQueryDto } from '../src';
import { timelinePage } from '../src/pages/timeline.page';

/** Every surface of the timeline filters derives from TIMELINE_FILTERS: a new entry appears in each with no other edit. */
describe('one description of the timeline filters', () => {
  const fields = TIMELINE_FILTERS.map((f) => [f.param, f] as const);

  it.each(fields)('%s: the query DTO takes it, capped at its maxLength, and maps it to its filter key', (param, f) => {
    const ok = plainToInstance(TimelineQueryDto, { [param]: 'x' });
    expect(validateSync(ok, { forbidNonWhitelisted: true, whitelist: true })).toEqual([]);
    expect(ok.toFilters()).toEqual({ [f.key]: 'x' });
    const long = plainToInstance(TimelineQueryDto, { [param]: 'x'.repeat(f.maxLength + 1) });
    const [error] = validateSync(long, { forbidNonWhitelisted: true, whitelist: true });
    expect(error.property).toBe(param);
  });

  it('the DTO refuses a parameter that is no filter', () => {
    const dto = plainToInstance(TimelineQueryDto, { tabel: 'x' });
    expect(validateSync(dto, { forbidNonWhitelisted: true, whitelist: true })[0].property).toBe('tabel');
  });

  it.each(fields)('%s: the timeline page has a labelled input for it, keeping the given value', (param, f) => {
    const page = timelinePage(
      { base: '/audit', badge: { uncovered: 0, drifted: 0 } },
      { filters: { [param]: 'kept<value>' }, changes: [], nextCursor: null },
    );
    expect(page).toContain(`<label>${f.label}<input name="${param}" value="kept&lt;value&gt;"`);
  });

  it.each(fields)('%s: the export command has a flag for it that arrives under the same name', (param, f) => {
    const options = Object.getOwnPropertyNames(ExportCommand.prototype)
      .map((name) => Reflect.getMetadata(OptionMeta, (ExportCommand.prototype as never)[name]))
      .filter(Boolean) as { flags: string; description: string }[];
    const flag = options.find((o) => o.description === f.description);
    expect(flag?.flags).toBe(`--${param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <${f.arg}>`);
  });
});
