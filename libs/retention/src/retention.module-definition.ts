import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RetentionOptions } from './retention.options';

export const { ConfigurableModuleClass: RetentionConfigurableModule, MODULE_OPTIONS_TOKEN: RETENTION_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<RetentionOptions | undefined>({ moduleName: 'ThreadlineRetention' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createRetentionOptions')
    .build();
