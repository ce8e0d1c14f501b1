/** The resolved `IntegrityPolicy` of ThreadlineProofModule's options, or null when `integrity` is not set. */
export const THREADLINE_INTEGRITY_POLICY = Symbol('THREADLINE_INTEGRITY_POLICY');
