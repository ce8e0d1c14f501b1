import { CaptureConfigError, ThreadlineError } from '@threadline/core';
import { CatalogMismatchError, MigrationsNotConfiguredError, NoTablesToCaptureError } from '../src';
import { catalogProblems } from '../src/trigger/catalog-problems';

describe('capture errors', () => {
  it('each failure is its own class, still a CaptureConfigError where it was one, named after its class', () => {
    const errors = [
      NoTablesToCaptureError.create(),
      CatalogMismatchError.forTriggers(['a']),
      CatalogMismatchError.forBaseline('public.users', ['a']),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(CaptureConfigError);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(MigrationsNotConfiguredError.create()).toBeInstanceOf(ThreadlineError);
    expect(MigrationsNotConfiguredError.create().message).toMatch(/run `node dist\/cli.js migrate` again/);
  });

  it('every catalog problem says how to fix it', () => {
    const options = { schema: 'public', table: 'users', exclude: ['id', 'x'], mask: ['id'], exceptColumns: [] };
    expect(catalogProblems(undefined, options as never)).toEqual([
      'table public.users does not exist in the database; create it (run your migrations) or fix the name',
    ]);
    const problems = catalogProblems({ primaryKey: [], columns: [{ name: 'id' }] } as never, options as never);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/add one before capturing[\s\S]*name it by its new name[\s\S]*choose one/);
  });
});
