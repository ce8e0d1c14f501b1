import { ArgumentsHost, BadRequestException, Catch, ExceptionFilter, ForbiddenException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { InvalidFilterError } from '@threadline/export';
import { wantsHtml } from './negotiate';
import { errorPage } from './pages/layout';

/**
 * The operator routes' client errors, as a page for browsers and JSON
 * otherwise: 403 (authorize said no, threw, or is missing) with no audit data,
 * 400 for a bad filter or parameter with the rule it broke.
 */
@Catch(ForbiddenException, BadRequestException, InvalidFilterError)
export class OperatorExceptionFilter implements ExceptionFilter {
  catch(error: ForbiddenException | BadRequestException | InvalidFilterError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    if (response.headersSent) return void response.end();
    const forbidden = error instanceof ForbiddenException;
    const status = forbidden ? 403 : 400;
    const given =
      error instanceof InvalidFilterError
        ? error.message
        : (error.getResponse() as { message: string | string[] }).message;
    const message = Array.isArray(given) ? given.join('; ') : given;
    // One shape for every refusal, whichever layer refused (validation pipe, filters, authorize).
    const body = { statusCode: status, error: forbidden ? 'Forbidden' : 'Bad Request', message };
    if (wantsHtml(request)) {
      const page = forbidden
        ? errorPage('Not authorized', message, 'Ask an administrator for access to the audit pages.')
        : errorPage('Bad request', message, 'Go back and correct the value.');
      response.status(status).type('html').send(page);
      return;
    }
    response.status(status).json(body);
  }
}
