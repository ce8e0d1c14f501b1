/** The resolved operator options (`ResolvedOperatorOptions`). */
export const THREADLINE_OPERATOR_OPTIONS = Symbol('THREADLINE_OPERATOR_OPTIONS');
