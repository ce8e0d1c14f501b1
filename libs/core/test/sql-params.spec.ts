import { cachedTransactionId, SqlParams } from '../src';

describe('SqlParams', () => {
  it('numbers bound values in the order they are added, after any initial ones', () => {
    const params = SqlParams.bound('public');
    expect(`${params.add('users')} ${params.add(null)} ${params.add(7)}`).toBe('$2 $3 $4');
    expect(params.values).toEqual(['public', 'users', null, 7]);
  });

  it('inlines values as literals that survive either standard_conforming_strings, keeping no values', () => {
    const params = SqlParams.inline();
    expect(params.add("it's")).toBe(`'it''s'`);
    expect(params.add('ends in \\')).toBe(`E'ends in \\\\'`);
    expect(params.add(null)).toBe('NULL');
    expect(() => params.add(7)).toThrow('an inlined SQL value must be a string');
    expect(() => params.add('nul\0')).toThrow('NUL');
    expect(params.values).toEqual([]);
  });
});

describe('transaction cache format', () => {
  it('reads the id cached for this transaction only', () => {
    const id = '0b5f5f0e-9c6a-4d1e-8b1a-2f0d4c3b2a19';
    expect(cachedTransactionId(`812/${id}`, '812')).toBe(id);
    expect(cachedTransactionId(`8120/${id}`, '812')).toBeNull();
    expect(cachedTransactionId(`812/${id}`, '81')).toBeNull();
    expect(cachedTransactionId('', '812')).toBeNull();
    expect(cachedTransactionId(`812/${id}`, null)).toBeNull();
  });
});
