import { createHash } from 'crypto';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from '../src';

// The install migration's marker carries AUDIT_SCHEMA_VERSION, so an app that
// installed an earlier version gets a new install migration to run (the
// install SQL is idempotent: it upgrades in place). Changing the install SQL
// without bumping the version would leave such apps on the old SQL.
const PINNED = { version: 14, sha256: 'd06376f99fbf38847246fe4d31db76ce2711c045f122b2733f505f20d77c8a92' };

describe('audit schema version', () => {
  it('changes whenever the install SQL changes (update both together)', () => {
    const sha256 = createHash('sha256').update(auditSchemaSql('public').up).digest('hex');
    expect({ version: AUDIT_SCHEMA_VERSION, sha256 }).toEqual(PINNED);
  });
});
