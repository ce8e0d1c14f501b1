import { IntegrityProblem } from './integrity.types';

/** The problems a verification reports, worded once (the walk and the stray checks build them here). */
export const integrityProblems = {
  checkpointRootDiffers: (size: number, file: string): IntegrityProblem => ({
    kind: 'altered',
    seq: size,
    message: `the seals up to #${size} no longer hash to the root of the signed checkpoint ${file}: a seal at or before #${size}, or what it seals, was rewritten after that checkpoint was kept`,
  }),
  checkpointPastChain: (size: number, file: string, chain: number): IntegrityProblem => ({
    kind: 'deleted',
    seq: chain + 1,
    message: `the signed checkpoint ${file} covers ${size} seals but the chain has ${chain}: seals were deleted`,
  }),
  storedTreeDiffers: (size: number, file: string): IntegrityProblem => ({
    kind: 'altered',
    seq: size,
    message: `the Merkle tree stored in the database gives another root at ${size} seals than the signed checkpoint ${file}: its rows were altered, so proofs it gives would fail`,
  }),
  storedNodeDiffers: (level: number, index: number): IntegrityProblem => ({
    kind: 'altered',
    seq: index * 2 ** level + 1,
    message: `the Merkle tree stored in the database differs from the seals at node ${level}/${index} (seals #${index * 2 ** level + 1} to #${(index + 1) * 2 ** level}): its rows were altered, so proofs through it would fail`,
  }),
  checkpointsInconsistent: (m: number, n: number): IntegrityProblem => ({
    kind: 'altered',
    seq: m,
    message: `the kept checkpoints at ${m} and ${n} seals are not consistent (no consistency proof from the database's tree joins them): the log was forked or rewritten between them`,
  }),
  linkBeforeFromDeleted: (seq: number): IntegrityProblem => ({
    kind: 'deleted',
    seq,
    message: `seal #${seq} (the link before --from) was deleted`,
  }),
  linkBeforeKeptHeadDeleted: (seq: number): IntegrityProblem => ({
    kind: 'deleted',
    seq,
    message: `seal #${seq} (the link before the kept head) was deleted`,
  }),
  keptHeadMissing: (seq: number): IntegrityProblem => ({
    kind: 'deleted',
    seq,
    message: `seal #${seq}, the head you kept, is not in the chain: seals were deleted, or the head comes from another database`,
  }),
  keptHeadRepeated: (seq: number, times: number): IntegrityProblem => ({
    kind: 'inserted',
    seq,
    message: `seal #${seq}, the head you kept, appears ${times} times: seals were inserted`,
  }),
  keptHeadRewritten: (seq: number, kept: string, now: string): IntegrityProblem => ({
    kind: 'altered',
    seq,
    message: `seal #${seq} no longer has the chain hash you kept (${kept}, now ${now}): the chain was rewritten at or before it`,
  }),
  sealRepeated: (seq: number): IntegrityProblem => ({
    kind: 'inserted',
    seq,
    message: `seal #${seq} appears more than once: seals were inserted`,
  }),
  sealsDeleted: (expected: number, seq: number): IntegrityProblem => ({
    kind: 'deleted',
    seq: expected,
    message: `seal${seq - expected > 1 ? `s #${expected} to #${seq - 1} were` : ` #${expected} was`} deleted from the chain`,
  }),
  linkAltered: (seq: number, what: string, transactionId: string | undefined): IntegrityProblem => ({
    kind: 'altered',
    seq,
    transactionId,
    message: `seal #${seq} (${what}) was altered: its chain link does not match`,
  }),
  checkpointMismatch: (seq: number): IntegrityProblem => ({
    kind: 'altered',
    seq,
    message: `the retention checkpoint at seal #${seq} does not match the seal's chain hash: the checkpoint or the seal was altered`,
  }),
  unknownFormat: (seq: number, format: number, transactionId: string | undefined): IntegrityProblem => ({
    kind: 'altered',
    seq,
    transactionId,
    message: `seal #${seq} has format ${format}, which no sealer writes: the seal was altered`,
  }),
  purgeRecordAltered: (seq: number, ledger: string): IntegrityProblem => ({
    kind: 'altered',
    seq,
    message: `purge record #${seq} was altered: its rows in ${ledger} differ from what was sealed`,
  }),
  transactionDeleted: (seq: number, transactionId: string): IntegrityProblem => ({
    kind: 'deleted',
    seq,
    transactionId,
    message: `transaction ${transactionId} (seal #${seq}) was deleted after sealing`,
  }),
  /** Content differs: `delta` changes more (inserted) or fewer (deleted) than sealed, or as many (altered). */
  contentDiffers: (seq: number, transactionId: string, delta: number, counts: string): IntegrityProblem => ({
    kind: delta > 0 ? 'inserted' : delta < 0 ? 'deleted' : 'altered',
    seq,
    transactionId,
    message:
      delta > 0
        ? `transaction ${transactionId} (seal #${seq}): ${delta} change(s) inserted after sealing (${counts})`
        : delta < 0
          ? `transaction ${transactionId} (seal #${seq}): ${-delta} change(s) deleted after sealing (${counts})`
          : `transaction ${transactionId} (seal #${seq}) was altered after sealing: a change, the transaction row or one of its actions differs from what was sealed`,
  }),
  checkpointPastEnd: (checkpointSeq: number, last: number): IntegrityProblem => ({
    kind: 'deleted',
    seq: checkpointSeq,
    message: `the retention checkpoint names seal #${checkpointSeq}, past the chain's last seal #${last}: seals were deleted, or the checkpoint was made by hand`,
  }),
  ledgerNamesPresentChange: (purgeSeq: number, changeId: string): IntegrityProblem => ({
    kind: 'inserted',
    seq: purgeSeq,
    changeId,
    message: `purge #${purgeSeq} records change ${changeId} as removed, but it is there: the ledger was written by hand`,
  }),
  ledgerWithoutPurgeSeal: (ledger: string, purgeSeq: number): IntegrityProblem => ({
    kind: 'inserted',
    seq: purgeSeq,
    message: `${ledger} has rows under purge #${purgeSeq}, which is no purge seal: written by hand, or the purge's seal deleted`,
  }),
  archiveNotReceiving: (subscription: string, disabled: boolean, errors: number): IntegrityProblem => ({
    kind: 'deleted',
    message: `this archive's subscription ${subscription} ${disabled ? 'is disabled' : `failed to apply ${errors} time(s) (pg_stat_subscription_stats)`}: it no longer receives the log, so what the source writes and purges from now on is missing here; fix the cause (a conflict: something was written here), enable it, and reset its statistics (pg_stat_reset_subscription_stats)`,
  }),
  transactionUnsealed: (transactionId: string): IntegrityProblem => ({
    kind: 'inserted',
    transactionId,
    message: `transaction ${transactionId} has no seal though the sealer has passed it: inserted after sealing, or its seal deleted`,
  }),
  orphanChange: (changeId: string, transactionId: string): IntegrityProblem => ({
    kind: 'inserted',
    changeId,
    transactionId,
    message: `change ${changeId} belongs to no audit transaction (${transactionId}): inserted, or its transaction deleted`,
  }),
  transactionCopied: (transactionId: string, copies: number): IntegrityProblem => ({
    kind: 'inserted',
    transactionId,
    message: `transaction ${transactionId} is stored ${copies} times (under different start times, in different partitions): copies were inserted`,
  }),
  changeCopied: (changeId: string, copies: number): IntegrityProblem => ({
    kind: 'inserted',
    changeId,
    message: `change ${changeId} is stored ${copies} times (under different start times, in different partitions): copies were inserted`,
  }),
  changeMoved: (changeId: string, transactionId: string): IntegrityProblem => ({
    kind: 'altered',
    changeId,
    transactionId,
    message: `change ${changeId} is filed under another start time than its transaction ${transactionId} (transaction_occurred_at, the partition key): edited; on partitioned storage it was moved to another partition, where a partition drop would take it without its transaction`,
  }),
  actionAdded: (actionId: string, transactionId: string, seq: number | undefined): IntegrityProblem => ({
    kind: 'inserted',
    seq,
    transactionId,
    message: `action ${actionId} was added to transaction ${transactionId}${seq === undefined ? '' : ` (seal #${seq})`}, which records no action`,
  }),
  orphanAction: (actionId: string, transactionId: string): IntegrityProblem => ({
    kind: 'inserted',
    transactionId,
    message: `action ${actionId} belongs to no audit transaction (${transactionId}): inserted, or its transaction deleted`,
  }),
};

/** The problems found so far: every one counted, the first `max` kept. */
export class IntegrityFindings {
  readonly problems: IntegrityProblem[] = [];
  count = 0;

  constructor(private readonly max: number) {}

  report(problem: IntegrityProblem): void {
    this.count++;
    if (this.problems.length < this.max) this.problems.push(problem);
  }
}
