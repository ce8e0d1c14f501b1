import { ThreadlineError } from '@threadline/core';

/** A purge request that cannot be honoured (a cutoff newer than the policy allows, ...). */
export class RetentionError extends ThreadlineError {}
