export const THREADLINE_OPERATOR_OPTIONS = Symbol('THREADLINE_OPERATOR_OPTIONS');
/** Where the operator routes are mounted (`'/audit'`), or false. */
export const THREADLINE_OPERATOR_MOUNT = Symbol('THREADLINE_OPERATOR_MOUNT');
