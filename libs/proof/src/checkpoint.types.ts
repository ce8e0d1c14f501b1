import { ReadCheckpoint } from './checkpoint-store';

/**
 * The newest checkpoint the configured directory keeps, its signature checked with this log's key, and
 * the newer files that are not the log's: what the Integrity page checks against (the key signs only
 * extensions of what it signed, so the newest stands for the older ones).
 */
export interface KeptCheckpointsView {
  checkpoints: ReadCheckpoint[];
  /** The newest (largest) one, with the time its note says it was signed. */
  latest: { size: number; time: string | null; file: string } | null;
  /** Files not signed by this log's key, or not checkpoints. */
  problems: string[];
}

/** The checkpointer's state, for health and the Integrity page. */
export interface CheckpointStatus {
  enabled: boolean;
  /** The last checkpoint every sink took, or null. */
  last: { size: number; time: string; path: string | null } | null;
  /** The last failure, while it lasts (cleared by the next checkpoint every sink takes). */
  failing: { message: string; since: string } | null;
}
