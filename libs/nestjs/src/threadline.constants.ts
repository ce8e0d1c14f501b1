/** The options given to ThreadlineModule, checked; each feature module reads its slice from it. */
export const THREADLINE_OPTIONS = Symbol('THREADLINE_OPTIONS');
