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
  });
});
