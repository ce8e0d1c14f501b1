/** The validated coverage policy (`CoveragePolicy`). */
export const THREADLINE_COVERAGE_POLICY = Symbol('THREADLINE_COVERAGE_POLICY');
/** The Terminus key of the coverage indicator. */
export const COVERAGE_HEALTH_KEY = 'threadline_coverage';
