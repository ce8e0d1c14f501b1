import { ConfigurableModuleBuilder } from '@nestjs/common';
import { THREADLINE_OPERATOR_MOUNT } from './export.constants';
import { DEFAULT_OPERATOR_PATH, OperatorOptions } from './export.options';
import { operatorControllers } from './operator/mount';
import { OperatorPages } from './operator/operator-pages.service';

/**
 * `mountAt` (an extra, so forRootAsync has it before its factory runs) is
 * where the audit routes and pages go, or false for none: Nest fixes
 * controller paths when the module is defined.
 */
export const {
  ConfigurableModuleClass: ExportConfigurableModule,
  MODULE_OPTIONS_TOKEN: EXPORT_MODULE_OPTIONS,
  OPTIONS_TYPE: EXPORT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: EXPORT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OperatorOptions | undefined>({ moduleName: 'ThreadlineExport' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createOperatorOptions')
  .setExtras({ mountAt: DEFAULT_OPERATOR_PATH as string | false }, (definition, extras) => ({
    ...definition,
    controllers: [
      ...(definition.controllers ?? []),
      ...(extras.mountAt === false ? [] : operatorControllers(extras.mountAt)),
    ],
    // The pages read the health module's services: only needed where they are mounted.
    providers: [
      ...(definition.providers ?? []),
      { provide: THREADLINE_OPERATOR_MOUNT, useValue: extras.mountAt },
      ...(extras.mountAt === false ? [] : [OperatorPages]),
    ],
  }))
  .build();
