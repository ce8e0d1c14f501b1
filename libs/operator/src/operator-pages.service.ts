import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { LegalHold, LegalHoldService } from '@threadline/retention';
import { holdsPage } from './pages/holds.page';
import { logLine } from '@threadline/core';
import { CoverageReport, CoverageService, RedactionPolicyService, TableRedaction } from '@threadline/health';
import {
  CheckpointService,
  CheckpointStatus,
  IntegrityReport,
  IntegrityService,
  KeptCheckpointsView,
} from '@threadline/proof';
import { AuditChange, AuditQueryService, Page } from '@threadline/query';
import { OperatorMount } from './operator-mount';
import { ACTIONS_SHOWN, THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import { ResolvedOperatorOptions } from './operator.options';
import { coveragePage } from './pages/coverage.page';
import { integrityPage } from './pages/integrity.page';
import { historyPage, HistoryView } from './pages/history.page';
import { BadgeState, PageFrame, uncoveredCount } from './pages/layout';
import { redactionPage } from './pages/redaction.page';
import { timelinePage, TimelineView } from './pages/timeline.page';
import { transactionPage } from './pages/transaction.page';
import { couldNotRead, NO_RETENTION_MODULE } from './operator.messages';

/** The Integrity page's check: the report, and the checkpoints kept outside the database. */
export type IntegrityView = IntegrityReport & { kept: KeptCheckpointsView | null; checkpointer: CheckpointStatus };

/** Gathers what each page shows (the badge on every one) and renders it. */
@Injectable()
export class OperatorPages {
  private readonly logger = new Logger(OperatorPages.name);

  constructor(
    @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions,
    private readonly coverageService: CoverageService,
    private readonly redactionService: RedactionPolicyService,
    private readonly integrityService: IntegrityService,
    private readonly checkpointService: CheckpointService,
    private readonly queries: AuditQueryService,
    private readonly mount: OperatorMount,
    private readonly moduleRef: ModuleRef,
  ) {}

  /**
   * The retention module's LegalHoldService wherever the app registered it (ThreadlineModule, or
   * ThreadlineRetentionModule beside this module), or undefined without it.
   */
  private get legalHolds(): LegalHoldService | undefined {
    try {
      return this.moduleRef.get(LegalHoldService, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** Every legal hold, in force and released, or why they could not be read. */
  async holdsList(): Promise<LegalHold[] | { error: string }> {
    try {
      const holds = this.legalHolds;
      if (!holds) return { error: NO_RETENTION_MODULE };
      return await holds.list({ all: true });
    } catch (error) {
      return { error: this.reason(error, 'legal holds') };
    }
  }

  async holds(holds: LegalHold[] | { error: string }): Promise<string> {
    return holdsPage(await this.frameWithBadge(), holds);
  }

  /**
   * Seals what has committed and verifies the chain now (against the signed checkpoints kept in the
   * configured directory, when there is one), or the reason it could not.
   */
  async integrityReport(): Promise<IntegrityView | { error: string }> {
    try {
      const kept = await this.checkpointService.kept();
      const report = await this.integrityService.verify(kept ? { checkpoints: kept.checkpoints } : {});
      return { ...report, kept, checkpointer: this.checkpointService.status() };
    } catch (error) {
      return { error: this.reason(error, 'integrity') };
    }
  }

  async history(view: HistoryView): Promise<string> {
    return historyPage(await this.frameWithBadge(), view);
  }

  async integrity(report: IntegrityView | { error: string }): Promise<string> {
    return integrityPage(await this.frameWithBadge(), report);
  }

  /** The report, or the reason it could not be read (the page shows a banner rather than old numbers). */
  async coverageReport(): Promise<CoverageReport | { error: string }> {
    try {
      return await this.coverageService.report();
    } catch (error) {
      return { error: this.reason(error, 'coverage') };
    }
  }

  async redactionPolicy(): Promise<TableRedaction[] | { error: string }> {
    try {
      return await this.redactionService.redactionPolicy();
    } catch (error) {
      return { error: this.reason(error, 'redaction policy') };
    }
  }

  async coverage(report: CoverageReport | { error: string }): Promise<string> {
    return coveragePage(this.frame(this.badgeOf(report)), report, this.options.coverageRefreshSeconds);
  }

  async redaction(tables: TableRedaction[] | { error: string }): Promise<string> {
    return redactionPage(await this.frameWithBadge(), tables);
  }

  async timeline(view: TimelineView): Promise<string> {
    return timelinePage(await this.frameWithBadge(), view);
  }

  /** `read`: the page as read, going `newer` when asked for with `before`; `paged`: a cursor chose it. */
  async transaction(
    id: string,
    read: Page<AuditChange>,
    paged = false,
    direction: 'older' | 'newer' = 'older',
  ): Promise<string> {
    const [frame, { page, previous }, actions] = await Promise.all([
      this.frameWithBadge(),
      this.queries.withPreviousImages(read, undefined, direction),
      this.queries.actionsOfTransaction(id, ACTIONS_SHOWN.transaction),
    ]);
    return transactionPage(frame, id, page, previous, actions, paged);
  }

  private async frameWithBadge(): Promise<PageFrame> {
    return this.frame(this.badgeOf(await this.coverageReport()));
  }

  private frame(badge: BadgeState): PageFrame {
    return { base: this.mount.base(), badge, traceUrl: this.options.traceUrl, holds: Boolean(this.legalHolds) };
  }

  private badgeOf(report: CoverageReport | { error: string }): BadgeState {
    return 'error' in report
      ? { error: report.error }
      : { uncovered: uncoveredCount(report), drifted: report.drift.length };
  }

  private reason(error: unknown, what: string): string {
    const message = error instanceof Error ? error.message : String(error);
    logLine(this.logger, 'warn', 'operator:read_failed', couldNotRead(what, message), { page: what });
    return message;
  }
}
