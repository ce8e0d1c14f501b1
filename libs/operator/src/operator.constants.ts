/** The resolved operator options (`ResolvedOperatorOptions`). */
export const THREADLINE_OPERATOR_OPTIONS = Symbol('THREADLINE_OPERATOR_OPTIONS');

/**
 * How many of a transaction's actions a page or route shows (oldest first; the total is always given): a transaction
 * may record any number, each up to 20 kB of reason and comment, so the "why" is bounded like the changes are.
 */
export const ACTIONS_SHOWN = { transaction: 20, history: 5 } as const;
