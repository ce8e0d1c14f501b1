/** The validated capture options, defaults filled in (`ResolvedCaptureOptions`). */
export const THREADLINE_CAPTURE_OPTIONS = Symbol('THREADLINE_CAPTURE_OPTIONS');
