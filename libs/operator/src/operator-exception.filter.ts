import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
} from '@nestjs/common';
import { InvalidQueryError } from '@threadline/query';
import { HttpPlatform, wantsHtml } from './http-platform';
import { errorPage } from './pages/layout';
import { html } from './pages/html';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import type { ResolvedOperatorOptions } from './operator.options';

/**
 * The operator routes' client errors, as a page for browsers and JSON
 * otherwise: 403 (authorize said no, threw, or is missing) with no audit data,
 * 400 for a bad filter or parameter with the rule it broke.
 */
@Catch(ForbiddenException, BadRequestException, InvalidQueryError)
@Injectable()
export class OperatorExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly http: HttpPlatform,
    @Optional() @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options?: ResolvedOperatorOptions,
  ) {}

  catch(error: ForbiddenException | BadRequestException | InvalidQueryError, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<unknown>();
    const response = host.switchToHttp().getResponse<unknown>();
    if (this.http.headersSent(response)) return this.http.end(response); // mid-stream: the body cannot become an error
    const forbidden = error instanceof ForbiddenException;
    const status = forbidden ? 403 : 400;
    const given =
      error instanceof InvalidQueryError
        ? error.message
        : (error.getResponse() as { message: string | string[] }).message;
    const message = Array.isArray(given) ? given.join('; ') : given;
    // One shape for every refusal, whichever layer refused (validation pipe, filters, authorize).
    const body = { statusCode: status, error: forbidden ? 'Forbidden' : 'Bad Request', message };
    if (wantsHtml(request)) {
      const page = forbidden
        ? errorPage(
            'Not authorized',
            message,
            this.options?.signInUrl
              ? html`<a href="${this.options.signInUrl}">Sign in</a> as someone allowed to read the audit pages, or ask an administrator for access.`
              : 'Ask an administrator for access to the audit pages (the app decides who may read them: operator.authorize).',
          )
        : errorPage('Bad request', message, 'Go back and correct the value.');
      return this.http.reply(response, status, page);
    }
    this.http.reply(response, status, body);
  }
}
