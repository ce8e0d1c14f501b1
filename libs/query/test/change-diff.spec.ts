import { AuditChange, changeDiff } from '../src';
import { needsPreviousImage } from '../src/change-diff';

const change = (over: Partial<AuditChange>): AuditChange =>
  ({
    id: '1',
    op: 'update',
    table_schema: 'public',
    table_name: 't',
    table_pk: { id: 1 },
    previous_pk: null,
    data_after: { id: 1, a: 2, b: 3 },
    changed_fields: ['a', 'b'],
    changed_from: null,
    ...over,
  }) as AuditChange;

/** previousImages looks up an earlier image only for the changes whose diff reads one. */
describe('needsPreviousImage', () => {
  it('a delete and an update whose changed_from lacks a changed field need one; the rest do not', () => {
    expect(needsPreviousImage(change({ op: 'delete', data_after: null, changed_fields: null }))).toBe(true);
    expect(needsPreviousImage(change({}))).toBe(true);
    expect(needsPreviousImage(change({ changed_from: { a: 1 } }))).toBe(true);
    const covered = change({ changed_from: { a: 1, b: 2 } });
    expect(needsPreviousImage(covered)).toBe(false);
    expect(needsPreviousImage(change({ op: 'insert', changed_fields: null }))).toBe(false);
    // and the diff of the covered update indeed reads no image: the same with or without one
    expect(changeDiff(covered, { a: 'other', b: 'other' })).toEqual(changeDiff(covered));
    // a row without a key (its table's primary key dropped): no earlier image is its own
    expect(needsPreviousImage(change({ table_pk: {} }))).toBe(false);
    expect(needsPreviousImage(change({ op: 'delete', table_pk: {}, data_after: null, changed_fields: null }))).toBe(
      false,
    );
  });

  it('a column named __proto__ is a field of the diff like any other', () => {
    const after = JSON.parse('{"__proto__": 2, "constructor": "c", "a": 1}');
    const diff = changeDiff(
      change({
        data_after: after,
        changed_fields: ['__proto__', 'a'],
        changed_from: JSON.parse('{"__proto__": 1, "a": 0}'),
      }),
    );
    expect(Object.keys(diff.fields)).toEqual(['__proto__', 'a']);
    expect(JSON.parse(JSON.stringify(diff.fields))).toEqual(
      JSON.parse('{"__proto__":{"before":1,"after":2},"a":{"before":0,"after":1}}'),
    );
    const insert = changeDiff(change({ op: 'insert', data_after: after, changed_fields: null }));
    expect(Object.keys(insert.fields)).toEqual(['__proto__', 'a', 'constructor']);
  });
});
