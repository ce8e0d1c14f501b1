import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { stringifyStoredJson } from '@threadline/core';
import { map, Observable } from 'rxjs';
import { HttpPlatform } from './http-platform';

/**
 * The JSON routes answer with every value exactly as stored: an object a
 * handler returns is written with stringifyStoredJson, so a numeric
 * 12345678901234567.12345678 or 100.00, or a bigint key past 2^53, keeps its
 * digits on the wire (`JSON.stringify` would write 12345678901234568 and 100).
 * Pages (strings) and streamed exports (the handler answers itself) pass as they are.
 */
@Injectable()
export class StoredJsonInterceptor implements NestInterceptor {
  constructor(private readonly http: HttpPlatform) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<unknown>();
    return next.handle().pipe(
      map((body: unknown) => {
        if (body === null || typeof body !== 'object') return body;
        this.http.setHeaders(response, { 'content-type': 'application/json; charset=utf-8' });
        return stringifyStoredJson(body);
      }),
    );
  }
}
