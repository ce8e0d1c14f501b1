/** The validated actor options (`ResolvedActorOptions`). */
export const THREADLINE_ACTOR_OPTIONS = Symbol('THREADLINE_ACTOR_OPTIONS');
/** Key of Threadline's state in the nestjs-cls store. */
export const THREADLINE_CLS_KEY = 'threadline.context';
export const CORRELATION_HEADER = 'x-correlation-id';
export const REQUEST_ID_HEADER = 'x-request-id';
