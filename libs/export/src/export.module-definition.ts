import { ConfigurableModuleBuilder } from '@nestjs/common';
import { OperatorOptions } from './export.options';

export const { ConfigurableModuleClass: ExportConfigurableModule, MODULE_OPTIONS_TOKEN: EXPORT_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<OperatorOptions | undefined>({ moduleName: 'ThreadlineExport' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createOperatorOptions')
    .build();
