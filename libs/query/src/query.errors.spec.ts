import { InvalidFilterError, InvalidPageError, InvalidQueryError, InvalidRecordError } from './query.errors';

describe('query errors', () => {
  // every static factory of each class that the operator routes answer 400 for
  const factories = [InvalidFilterError, InvalidPageError, InvalidRecordError].flatMap((cls) =>
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

  it('a refused filter names what is allowed', () => {
    expect(InvalidFilterError.unknown(['tabel'], ['table', 'actorRef']).message).toBe(
      'unknown filter "tabel"; allowed filters are exactly table, actorRef',
    );
    expect(InvalidPageError.limit(0).message).toBe('limit must be an integer from 1 to 1000 (got 0)');
  });
});
