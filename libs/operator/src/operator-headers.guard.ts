import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { HttpPlatform } from './http-platform';
import { CONTENT_SECURITY_POLICY } from './pages/assets';

/**
 * Protective headers on every operator response, the refusals included: it
 * runs before the authorize guard. Audit data is never kept by browsers or
 * proxies (no-store), never framed by another site, never sniffed as another
 * type, never leaks its URL in a Referer, and pages run only their own
 * stylesheet and script.
 */
@Injectable()
export class OperatorHeadersGuard implements CanActivate {
  constructor(private readonly http: HttpPlatform) {}

  canActivate(context: ExecutionContext): boolean {
    this.http.setHeaders(context.switchToHttp().getResponse(), {
      'cache-control': 'no-store',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    return true;
  }
}
