import { Inject, Injectable, Optional } from '@nestjs/common';
import { PartitionsService, PartitionStatus } from '@threadline/capture';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CheckpointService, IntegrityReport, IntegrityService } from '@threadline/proof';
import { COVERAGE_HEALTH_KEY, THREADLINE_COVERAGE_POLICY } from './health.constants';
import { CoverageService } from './coverage.service';
import { CoveragePolicy } from './health.options';
import { coverageCheckFailed } from './health.messages';

/**
 * Terminus indicator: up when every expectedTables entry exists and is
 * covered; down (Terminus answers 503) naming each uncovered or missing
 * expected table. Other uncovered tables are information only (failures
 * under `strict`). A catalog error is a down result with its message.
 *
 * With `health.integrity` set it also verifies the audit log's hash chain
 * (IntegrityService.verify), at most every `checkEverySeconds`, reusing the
 * last result in between: down when a sealed record was altered, inserted or
 * deleted, with the first problem named under `integrity`. With
 * `health.integrity.checkpoints` set, down while keeping a signed checkpoint
 * outside the database fails (`checkpoints.failing`), up again once one is kept; and down while
 * sealing fails (`sealing.failing`: another session holds the sealer, or the role may not seal).
 * On partitioned storage (`capture.partitioning`) it is down while fewer than 2 partitions lie ahead, none
 * holds the current time, or a default partition holds rows (`partitions.problems`).
 *
 * @example this.health.check([() => this.db.pingCheck('database'), () => this.coverage.isHealthy()])
 */
/** Where the integrity check stands for a probe: a finished result, a failure, or one still running. */
type IntegrityState =
  | { kind: 'report'; report: IntegrityReport; runningSince?: string }
  | { kind: 'error'; message: string }
  | { kind: 'pending'; runningSince: string };

@Injectable()
export class ThreadlineCoverageIndicator {
  private running?: { since: number; done: Promise<void> };
  private last?: { at: number; state: Exclude<IntegrityState, { kind: 'pending' }> };
  /** The head of the last check that passed, and when the last full one ran (health.integrity.fullEverySeconds). */
  private passed?: { head: { seq: number; chainSha256: string }; fullAt: number };

  constructor(
    private readonly coverage: CoverageService,
    private readonly indicators: HealthIndicatorService,
    private readonly integrity: IntegrityService,
    private readonly checkpoints: CheckpointService,
    @Inject(THREADLINE_COVERAGE_POLICY) private readonly policy: CoveragePolicy,
    @Optional() private readonly partitions?: PartitionsService,
  ) {}

  /**
   * Starts a check when the last one is older than checkEverySeconds (a
   * failed one is retried at the next probe), waits for a running one at
   * most waitSeconds, and answers with what it has.
   */
  private async integrityState(): Promise<IntegrityState | undefined> {
    const policy = this.policy.integrity;
    if (!policy) return undefined;
    if (!this.running && (!this.last || Date.now() - this.last.at >= policy.checkEverySeconds * 1000)) {
      const passed = this.passed;
      const incremental = passed !== undefined && Date.now() - passed.fullAt < policy.fullEverySeconds * 1000;
      // a full check is held to the last passing head too: a log re-chained since never turns green again
      const done = this.integrity.verify(incremental ? { afterHead: passed.head } : { keptHead: passed?.head }).then(
        (report) => {
          this.last = { at: Date.now(), state: { kind: 'report', report } };
          // a failing check keeps the head it started from, so the next one finds the problem again
          if (report.ok && report.head)
            this.passed = { head: report.head, fullAt: incremental && passed ? passed.fullAt : Date.now() };
        },
        (error: unknown) =>
          void (this.last = {
            at: 0,
            state: { kind: 'error', message: error instanceof Error ? error.message : String(error) },
          }),
      );
      this.running = { since: Date.now(), done: done.finally(() => (this.running = undefined)) };
    }
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, policy.waitSeconds * 1000)));
      await Promise.race([this.running.done, waited]);
      clearTimeout(timer);
    }
    const runningSince = this.running ? new Date(this.running.since).toISOString() : undefined;
    if (!this.last) return { kind: 'pending', runningSince: runningSince! };
    return this.last.state.kind === 'report' ? { ...this.last.state, runningSince } : this.last.state;
  }

  /** Partitioned storage's status, when the audit tables are partitioned or capture.partitioning is set. */
  private async partitionState(): Promise<PartitionStatus | undefined> {
    const status = await this.partitions?.status();
    return status && (status.partitioned || status.problems.length) ? status : undefined;
  }

  async isHealthy(key: string = COVERAGE_HEALTH_KEY) {
    const indicator = this.indicators.check(key);
    try {
      const checks = [this.coverage.report(), this.integrityState(), this.partitionState()] as const;
      // every check runs to its end (each reports its own failure, e.g. coverage's error event) before one fails this
      await Promise.allSettled(checks);
      const [r, integrity, partitions] = await Promise.all(checks);
      const checkpoints = this.checkpoints.status();
      const sealing = this.integrity.sealingStatus();
      const data = {
        covered: r.covered.length,
        uncoveredExpected: r.uncoveredExpected,
        missingExpected: r.missingExpected,
        expectedUncovered: r.expectedUncovered,
        unclassified: r.unclassified,
        drift: r.drift.filter((d) => d.expected),
        notCapturedInReplicaRole: r.notCapturedInReplicaRole,
        ...(integrity && { integrity: integrityData(integrity) }),
        ...(checkpoints.enabled && { checkpoints: { last: checkpoints.last, failing: checkpoints.failing } }),
        ...(sealing.failing && { sealing }),
        ...(partitions && { partitions }),
      };
      const integrityOk =
        !integrity || integrity.kind === 'pending' || (integrity.kind === 'report' && integrity.report.ok);
      // a checkpoint sink that keeps failing leaves the log without an anchor outside the database, and a
      // sealer that cannot seal (held off by another session, no privilege) leaves every commit since unsealed
      // partitioned storage short of partitions ahead, or rows in a default partition: maintenance is not keeping up
      const partitionsOk = !partitions?.problems.length;
      return r.ok && integrityOk && !checkpoints.failing && !sealing.failing && partitionsOk
        ? indicator.up(data)
        : indicator.down(data);
    } catch (error) {
      return indicator.down({
        message: coverageCheckFailed(error),
      });
    }
  }
}

function integrityData(state: IntegrityState) {
  switch (state.kind) {
    case 'pending':
      // the first check has not finished yet: nothing is known to be wrong
      return { ok: null, runningSince: state.runningSince };
    case 'error':
      return { ok: false, problemCount: null, firstProblem: `integrity check failed: ${state.message}` };
    case 'report':
      return {
        ok: state.report.ok,
        checked: state.report.checked,
        problemCount: state.report.problemCount,
        firstProblem: state.report.problems[0]?.message ?? null,
        head: state.report.head,
        ...(state.runningSince && { nextCheckRunningSince: state.runningSince }),
      };
  }
}
