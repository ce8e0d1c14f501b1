import { createHash } from 'crypto';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from '../src';

// The install migration's marker carries AUDIT_SCHEMA_VERSION, so an app that
// installed an earlier version gets a new install migration to run (the
// install SQL is idempotent: it upgrades in place). Changing the install SQL
// without bumping the version would leave such apps on the old SQL.
const PINNED = { version: 10, sha256: 'b43a532b794a0a4c82e102043f98b9c75bc8a3f261a4cd37b353d1dc4ebd686c' };

describe('audit schema version', () => {
  it('changes whenever the install SQL changes (update both together)', () => {
    const sha256 = createHash('sha256').update(auditSchemaSql('public').up).digest('hex');
    expect({ version: AUDIT_SCHEMA_VERSION, sha256 }).toEqual(PINNED);
  });
});
