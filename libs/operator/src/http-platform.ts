import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'http';
import Negotiator from 'negotiator';

/**
 * The one place that tells Express from Fastify. The operator's routes are
 * written against both: Express hands handlers Node's request and response
 * (extended), Fastify hands them wrappers with Node's as `raw`. Status and
 * headers go through Nest's HTTP adapter, content negotiation reads Node's
 * headers, and a streamed export writes to Node's response.
 */
@Injectable()
export class HttpPlatform {
  constructor(private readonly host: HttpAdapterHost) {}

  setHeaders(response: unknown, headers: Record<string, string>): void {
    for (const [name, value] of Object.entries(headers)) this.host.httpAdapter.setHeader(response, name, value);
  }

  status(response: unknown, status: number): void {
    this.host.httpAdapter.status(response, status);
  }

  /** Status and content type for an HTML page the handler returns. */
  html(response: unknown, status: number): void {
    this.host.httpAdapter.status(response, status);
    this.host.httpAdapter.setHeader(response, 'content-type', HTML);
  }

  /** Sends a whole reply: a string as an HTML page, an object as JSON. */
  reply(response: unknown, status: number, body: string | object): void {
    if (typeof body === 'string') this.host.httpAdapter.setHeader(response, 'content-type', HTML);
    this.host.httpAdapter.reply(response, body, status);
  }

  /** True once the response has begun (a failure mid-stream can then only end it). */
  headersSent(response: unknown): boolean {
    return nodeOf<ServerResponse>(response).headersSent;
  }

  end(response: unknown): void {
    nodeOf<ServerResponse>(response).end();
  }

  /**
   * Node's response, for a handler that streams with trailers. Fastify is told
   * the handler answers by itself (hijack), and the headers set on its reply
   * so far (the guards' security headers) are carried over.
   */
  takeOver(response: unknown): ServerResponse {
    const reply = response as Partial<FastifyLikeReply>;
    if (reply.raw && typeof reply.hijack === 'function' && typeof reply.getHeaders === 'function') {
      for (const [name, value] of Object.entries(reply.getHeaders()))
        if (value !== undefined) reply.raw.setHeader(name, value);
      reply.hijack();
      return reply.raw;
    }
    return response as ServerResponse;
  }
}

/** Does the client prefer the HTML page to JSON (a browser does; no Accept header means JSON)? */
export function wantsHtml(request: unknown): boolean {
  return new Negotiator(nodeOf<IncomingMessage>(request)).mediaType(['application/json', 'text/html']) === 'text/html';
}

const HTML = 'text/html; charset=utf-8';

interface FastifyLikeReply {
  raw: ServerResponse;
  hijack(): void;
  getHeaders(): Record<string, string | number | string[] | undefined>;
}

/** Node's own request or response: Fastify's wrappers hold it as `raw`, Express's objects are it. */
function nodeOf<T>(value: unknown): T {
  return (value as { raw?: T }).raw ?? (value as T);
}
