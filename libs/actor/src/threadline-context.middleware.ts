import { BadRequestException, Injectable, NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'crypto';
import type { Request } from 'express';
import type { IncomingMessage, ServerResponse } from 'http';
import { ClsService } from 'nestjs-cls';
import { CONTEXT_ID_MAX_BYTES } from '@threadline/core';
import { CORRELATION_HEADER, REQUEST_ID_HEADER, THREADLINE_CLS_KEY } from './actor.constants';
import { ContextState } from './context-state';
import { invalidContextHeader } from './actor.messages';

/**
 * Starts Threadline's context for each HTTP request (as middleware, so guards,
 * interceptors and filters run inside it): request and correlation ids from
 * `x-request-id` / `x-correlation-id` (generated when absent and echoed in the
 * response), the client IP, and the request for resolving the actor later.
 * Written against Node's request and response, which is what Express hands
 * middleware (extended) and what Fastify hands it (as is).
 */
@Injectable()
export class ThreadlineContextMiddleware implements NestMiddleware {
  constructor(private readonly cls: ClsService) {}

  use(req: IncomingMessage & { ip?: string }, res: ServerResponse, next: () => void): void {
    const correlationId = headerId(req, CORRELATION_HEADER) ?? randomUUID();
    const requestId = headerId(req, REQUEST_ID_HEADER) ?? randomUUID();
    res.setHeader(CORRELATION_HEADER, correlationId);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    this.cls.run(() => {
      this.cls.set<ContextState>(THREADLINE_CLS_KEY, {
        // Express's request (what guards see); under Fastify, Node's, until PlatformRequestInterceptor swaps in Fastify's
        request: req as Request,
        correlationId,
        requestId,
        ip: req.ip ?? req.socket.remoteAddress,
      });
      next();
    });
  }
}

function headerId(req: IncomingMessage, header: string): string | undefined {
  const raw = req.headers[header];
  if (raw === undefined) return undefined;
  const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
  if (value === '' || Buffer.byteLength(value) > CONTEXT_ID_MAX_BYTES) {
    throw new BadRequestException(invalidContextHeader(header, CONTEXT_ID_MAX_BYTES));
  }
  return value;
}
