import type { TimelineFilters } from '@threadline/query';

/** A legal hold as `audit_legal_holds` keeps it (README "Legal holds"). */
export interface LegalHold {
  id: string;
  /** What it covers: timeline filters by their public name (`table`, `actor`, `key`, `from`, ...), as `timeline` takes them. */
  filters: Record<string, string>;
  reason: string;
  /** Who set it (as given), and the database role that wrote it. */
  heldBy: string;
  heldByRole: string;
  heldAt: string;
  /** Absent while the hold is in force. */
  released?: { at: string; by: string; role: string; reason: string };
}

/** What `LegalHoldService.hold` takes: the changes the hold covers, and who sets it and why. */
export interface LegalHoldRequest {
  /** The same filters as the timeline; at least one. */
  filters: TimelineFilters;
  reason: string;
  /** Who sets it (a person or ticket, as your records name them). */
  heldBy: string;
}

/** What `LegalHoldService.release` takes: who ends the hold and why (the hold's record is kept). */
export interface LegalHoldRelease {
  reason: string;
  releasedBy: string;
}

/** A hold in force, as a purge applies it, and (in a dry run) how many eligible changes it kept. */
export interface HoldKept {
  id: string;
  reason: string;
  heldBy: string;
  /** Dry run only: eligible changes this hold covers (a change two holds cover counts for both). */
  keptChanges?: number;
}
