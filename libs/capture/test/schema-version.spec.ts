import { createHash } from 'crypto';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from '../src';

// The install migration's marker carries AUDIT_SCHEMA_VERSION, so an app that
// installed an earlier version gets a new install migration to run (the
// install SQL is idempotent: it upgrades in place). Changing the install SQL
// without bumping the version would leave such apps on the old SQL.
const PINNED = { version: 14, sha256: 'aece4707fafc5762f8f1994013e1d94b1be520809627da81f81e1f56ae5e04d2' };

describe('audit schema version', () => {
  it('changes whenever the install SQL changes (update both together)', () => {
    const sha256 = createHash('sha256').update(auditSchemaSql('public').up).digest('hex');
    expect({ version: AUDIT_SCHEMA_VERSION, sha256 }).toEqual(PINNED);
  });
});
