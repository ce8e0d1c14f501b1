/** The validated retention policy (`RetentionPolicy`), or undefined when none is configured. */
export const THREADLINE_RETENTION_POLICY = Symbol('THREADLINE_RETENTION_POLICY');
