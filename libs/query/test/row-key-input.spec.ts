import { InvalidFilterError, parseRowKey } from '../src';

/** A key as the HTTP routes and the CLI take it: JSON text, refused with a 400-class error when no row can have it. */
describe('parseRowKey', () => {
  it('refuses a NUL character (a JSON \\u0000 escape, in a value or a column name): PostgreSQL stores none', () => {
    for (const text of ['{"id":"a\\u0000b"}', '{"i\\u0000d":1}', '{"id":["\\u0000"]}'])
      expect(() => parseRowKey(text)).toThrow(
        new InvalidFilterError('key must not contain a NUL character (\\u0000): no stored key can hold one'),
      );
    expect(parseRowKey('{"id":"a\\\\u0000b"}')).toEqual({ id: 'a\\u0000b' }); // an escaped backslash is text
  });
});
