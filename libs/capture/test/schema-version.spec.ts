import { createHash } from 'crypto';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from '../src';

// The install migration's marker carries AUDIT_SCHEMA_VERSION, so an app that
// installed an earlier version gets a new install migration to run (the
// install SQL is idempotent: it upgrades in place). Changing the install SQL
// without bumping the version would leave such apps on the old SQL.
const PINNED = { version: 13, sha256: '9f993f4aeeccde2e361a5f5370eef71a9b7400714fab82a136d86ea911efeedc' };

describe('audit schema version', () => {
  it('changes whenever the install SQL changes (update both together)', () => {
    const sha256 = createHash('sha256').update(auditSchemaSql('public').up).digest('hex');
    expect({ version: AUDIT_SCHEMA_VERSION, sha256 }).toEqual(PINNED);
  });
});
