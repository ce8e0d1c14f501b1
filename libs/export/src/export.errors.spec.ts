import { InvalidQueryError } from '@threadline/query';
import { InvalidExportOptionError } from './export.errors';

describe('export errors', () => {
  // every static factory of export's class that the operator routes answer 400 for (an InvalidQueryError of @threadline/query)
  const factories = [InvalidExportOptionError].flatMap((cls) =>
    Object.getOwnPropertyNames(cls)
      .filter((name) => typeof (cls as unknown as Record<string, unknown>)[name] === 'function')
      .map((name) => [`${cls.name}.${name}`, cls, name] as const),
  );

  it.each(factories)('%s is an InvalidQueryError of its own class, with a message', (_label, cls, name) => {
    const make = (cls as unknown as Record<string, (...args: unknown[]) => Error>)[name];
    const error = make.call(cls, ['x'], ['a', 'b'], ['c']);
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(InvalidQueryError);
    expect(error.name).toBe(cls.name);
    expect(error.message.length).toBeGreaterThan(5);
  });
});
