import { Inject, Injectable } from '@nestjs/common';
import { MODULE_PATH } from '@nestjs/common/constants';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { THREADLINE_OPERATOR_OPTIONS } from './operator.constants';
import type { ResolvedOperatorOptions } from './operator.options';

/**
 * Puts the operator routes at `operator.path`, read from the resolved options,
 * so forRoot and forRootAsync take the path the same way. Nest registers
 * routes after every provider is built, and reads each module's path from
 * metadata keyed by the application, which is how RouterModule sets it; this
 * sets the same key. `base()` is the path links use: the app's global prefix
 * and the mount path.
 */
@Injectable()
export class OperatorMount {
  constructor(
    @Inject(THREADLINE_OPERATOR_OPTIONS) private readonly options: ResolvedOperatorOptions,
    private readonly config: ApplicationConfig,
  ) {}

  /** Called by the module's factory with the module class and the app's container. */
  static place(module: object, path: string, modules: ModulesContainer): void {
    Reflect.defineMetadata(MODULE_PATH + modules.applicationId, path, module);
  }

  /** `/api/audit` under `app.setGlobalPrefix('api')`, else `/audit`. */
  base(): string {
    const prefix = this.config.getGlobalPrefix().replace(/^\/*/, '/').replace(/\/+$/, '');
    return `${prefix}${this.options.path}`;
  }
}
