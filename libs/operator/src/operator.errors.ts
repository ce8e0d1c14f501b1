import { ThreadlineError } from '@threadline/core';
import { SWAGGER_MISSING } from './operator.messages';

/** The OpenAPI document was asked for without @nestjs/swagger installed (boot refuses `openApi: true` first). */
export class SwaggerNotInstalledError extends ThreadlineError {
  static create(): SwaggerNotInstalledError {
    return new SwaggerNotInstalledError(SWAGGER_MISSING);
  }
}
