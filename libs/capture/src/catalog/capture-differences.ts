import type { ResolvedCaptureOptions, ResolvedTableCaptureOptions } from '../capture.options';
import { driftMessages as say } from '../capture.messages';
import type { TriggerStamp } from '../trigger/trigger-stamp';
import { DeployedCapture, unreadableReason } from './deployed-capture';

type Setting = 'exclude' | 'mask' | 'exceptColumns';
type Renames = Record<Setting, { from: string; to: string }[]>;
const NO_RENAMES: Renames = { exclude: [], mask: [], exceptColumns: [] };
const SETTINGS: readonly Setting[] = ['exclude', 'mask', 'exceptColumns'];
type Global = Pick<ResolvedCaptureOptions, 'maskPlaceholder' | 'recordNoopUpdates' | 'captureInReplicaRole'>;

/**
 * Every way a table's deployed capture differs from what the configuration
 * asks for, or from the table as it is now; each entry says what and how to
 * fix it. Empty when deployed capture matches.
 */
export function captureDifferences(
  configured: ResolvedTableCaptureOptions,
  global: Global,
  deployed: DeployedCapture,
): string[] {
  const unreadable = unreadableReason(deployed);
  if (unreadable) return [unreadable];
  const stamp = deployed.stamp!;
  const renames = stamp.version === 1 ? NO_RENAMES : renamesOf(stamp);
  return [
    ...optionDifferences(configured, global, stamp, renames),
    ...(deployed.ownersRights ? [] : [say.writersRights()]),
    ...(deployed.publicExecute ? [say.publicExecute()] : []),
    ...(stamp.version === 1
      ? [say.stampV1()]
      : [
          ...SETTINGS.flatMap((setting) => redactionDrift(setting, configured[setting], stamp, renames[setting])),
          ...columnDrift(stamp, deployed),
        ]),
    ...(deployed.outsideWithCapture.length ? [say.detachedWithCapture(deployed.outsideWithCapture)] : []),
    ...(deployed.partitionsWithoutCapture.length
      ? [say.partitionsWithoutCapture(deployed.partitionsWithoutCapture)]
      : []),
  ];
}

/** The stamped options against the configured ones. */
function optionDifferences(
  configured: ResolvedTableCaptureOptions,
  global: Global,
  stamp: TriggerStamp,
  renames: Renames,
): string[] {
  const setting = (name: string, want: unknown, have: unknown) =>
    want !== have ? [say.setting(name, want, have)] : [];
  return [
    ...SETTINGS.flatMap((s) => listDifference(s, configured[s], stamp[s], renames[s])),
    ...(global.maskPlaceholder !== stamp.maskPlaceholder ? [say.maskPlaceholder()] : []),
    ...setting('storeChangedFrom', configured.storeChangedFrom, stamp.storeChangedFrom),
    ...setting('captureInReplicaRole', global.captureInReplicaRole, stamp.captureInReplicaRole ?? false),
    ...setting('recordNoopUpdates', global.recordNoopUpdates, stamp.recordNoopUpdates),
  ];
}

/**
 * What the function applies now, against the configured names: a column renamed since deployment keeps its
 * redaction under its new name, and a configured name that is no longer a column redacts nothing. A rename is
 * said as one (the same words in verify-coverage, policy show, the pages and gen-triggers).
 */
function redactionDrift(
  setting: Setting,
  names: string[],
  stamp: TriggerStamp,
  renames: { from: string; to: string }[],
): string[] {
  const applied =
    {
      exclude: stamp.excludedColumns,
      mask: stamp.maskedColumns,
      exceptColumns: stamp.exceptedColumns,
    }[setting] ?? [];
  const unclassified = setting === 'mask' ? (stamp.unclassifiedColumns ?? []) : [];
  const differences = renames.map(({ from, to }) =>
    names.includes(to) ? say.renameFollowed(setting, from, to) : say.renameToName(setting, from, to),
  );
  const paired = new Set(renames.flatMap((r) => [r.from, r.to]));
  const renamed = applied.filter(
    (c) => !names.includes(c) && !stamp[setting].includes(c) && !unclassified.includes(c) && !paired.has(c),
  );
  const stillUnclassified = unclassified.filter((c) => !names.includes(c));
  if (stillUnclassified.length) differences.push(say.stillUnclassified(stillUnclassified));
  const gone = names.filter((c) => !applied.includes(c) && stamp[setting].includes(c) && !paired.has(c));
  if (renamed.length) differences.push(say.appliedUnnamed(setting, renamed));
  if (gone.length) differences.push(say.namedGone(setting, gone));
  return differences;
}

/** The table's columns, its identity and the DDL event trigger, against what the function was generated for. */
function columnDrift(stamp: TriggerStamp, deployed: DeployedCapture): string[] {
  const differences: string[] = [];
  const columnsChanged =
    (deployed.signature !== undefined && stamp.columnSignature !== deployed.signature) ||
    (stamp.columnLayout !== undefined && deployed.layout !== undefined && stamp.columnLayout !== deployed.layout);
  if (columnsChanged) differences.push(stamp.guarded ? say.columnsChangedGuarded() : say.columnsChanged());
  if (
    stamp.guarded &&
    stamp.relid !== undefined &&
    deployed.relid !== undefined &&
    String(stamp.relid) !== deployed.relid
  )
    differences.push(say.otherCopy());
  if (stamp.guarded === false && !deployed.ddlTriggerFires) differences.push(say.ddlTriggerOff());
  return differences;
}

/**
 * The renames the deployed function followed: a configured name that is no
 * longer a column, and a column it applies the setting to that no
 * configured name names (not one added since). One of each is a rename;
 * several are listed as they are, since nothing pairs them.
 */
function renamesOf(stamp: TriggerStamp): Renames {
  const pairs = (setting: Setting, applied: string[]): { from: string; to: string }[] => {
    const unclassified = setting === 'mask' ? (stamp.unclassifiedColumns ?? []) : [];
    const from = stamp[setting].filter((c) => !applied.includes(c));
    const to = applied.filter((c) => !stamp[setting].includes(c) && !unclassified.includes(c));
    return from.length === 1 && to.length === 1 ? [{ from: from[0]!, to: to[0]! }] : [];
  };
  return {
    exclude: pairs('exclude', stamp.excludedColumns ?? []),
    mask: pairs('mask', stamp.maskedColumns ?? []),
    exceptColumns: pairs('exceptColumns', stamp.exceptedColumns ?? []),
  };
}

function listDifference(
  setting: string,
  configured: string[],
  deployed: string[],
  renames: { from: string; to: string }[] = [],
): string[] {
  const paired = new Set(renames.flatMap((r) => [r.from, r.to]));
  const missing = configured.filter((c) => !deployed.includes(c) && !paired.has(c));
  const extra = deployed.filter((d) => !configured.includes(d) && !paired.has(d));
  return [
    ...(missing.length ? [say.listLacks(setting, missing)] : []),
    ...(extra.length ? [say.listAlsoHas(setting, extra)] : []),
  ];
}
