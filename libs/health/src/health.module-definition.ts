import { ConfigurableModuleBuilder } from '@nestjs/common';
import { HealthOptions } from './health.options';

export const { ConfigurableModuleClass: HealthConfigurableModule, MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<HealthOptions | undefined>({ moduleName: 'ThreadlineHealth' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createHealthOptions')
    .build();
