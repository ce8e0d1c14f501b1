import { captureDifferences, DeployedCapture, resolveCaptureOptions, tableOptionsFor, TriggerStamp } from '../src';

/** A deployed function whose stamp says it was generated for `mask: ['customer_email']` and followed a rename. */
function deployedAfterRename(): DeployedCapture {
  const stamp: TriggerStamp = {
    version: 4,
    table: 'public.invoices',
    exclude: [],
    mask: ['customer_email'],
    exceptColumns: [],
    maskPlaceholder: '[REDACTED]',
    storeChangedFrom: false,
    recordNoopUpdates: false,
    captureInReplicaRole: true,
    excludedColumns: [],
    maskedColumns: ['billing_email'],
    exceptedColumns: [],
    unclassifiedColumns: [],
    guarded: false,
    bodySha256: 'x',
  };
  return {
    schema: 'public',
    table: 'invoices',
    tableExists: true,
    deployed: true,
    stamp,
    bodyMatches: true,
    ownersRights: true,
    publicExecute: false,
    ddlTriggerFires: true,
    partitionsWithoutCapture: [],
    outsideWithCapture: [],
  };
}

describe('capture drift after a rename: said as a rename, in one wording, wherever it is read', () => {
  const differences = (mask: string[]) => {
    const options = resolveCaptureOptions({ tables: { invoices: { mask } } });
    return captureDifferences(tableOptionsFor(options, 'public', 'invoices'), options, deployedAfterRename());
  };

  it('before the configuration follows: the column is still masked under its new name; rename it in capture.tables', () => {
    expect(differences(['customer_email'])).toEqual([
      'mask: customer_email was renamed to billing_email; capture still applies mask to it under its new name (it follows the column, not the name); name billing_email instead of customer_email in capture.tables and run `node dist/cli.js gen-triggers`',
    ]);
  });

  it('after the configuration follows: no "deployed lacks / also has", which would read like a leak', () => {
    expect(differences(['billing_email'])).toEqual([
      'mask: customer_email was renamed to billing_email; capture applies mask to it under its new name already (it follows the column, not the name); run `node dist/cli.js gen-triggers` so deployed capture names billing_email too',
    ]);
  });

  it('a configured name that matches neither is still named as missing', () => {
    expect(differences(['billing_email', 'phone'])).toEqual([
      'mask: deployed lacks phone',
      expect.stringContaining('mask: customer_email was renamed to billing_email'),
    ]);
  });
});
