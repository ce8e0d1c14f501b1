import { createHash } from 'crypto';
import { AUDIT_SCHEMA_VERSION, auditSchemaSql } from '../src';

// The install migration's marker carries AUDIT_SCHEMA_VERSION, so an app that
// installed an earlier version gets a new install migration to run (the
// install SQL is idempotent: it upgrades in place). Changing the install SQL
// without bumping the version would leave such apps on the old SQL.
const PINNED = { version: 13, sha256: '94be4f30531904cc54d4487f1a271aee863e8a3d20a5a176358801cb72789919' };

describe('audit schema version', () => {
  it('changes whenever the install SQL changes (update both together)', () => {
    const sha256 = createHash('sha256').update(auditSchemaSql('public').up).digest('hex');
    expect({ version: AUDIT_SCHEMA_VERSION, sha256 }).toEqual(PINNED);
  });
});
