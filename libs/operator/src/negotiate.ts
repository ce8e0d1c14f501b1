import type { Request } from 'express';

/** A browser (Accept prefers text/html) gets the page; API clients and curl's default Accept get JSON. */
export function wantsHtml(request: Request): boolean {
  return request.accepts(['application/json', 'text/html']) === 'text/html';
}
