import { ConfigurableModuleBuilder } from '@nestjs/common';
import { HealthOptions } from './health.options';

/** Global by default, like capture: the export module's operator pages read coverage and redaction from it. */
export const { ConfigurableModuleClass: HealthConfigurableModule, MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<HealthOptions | undefined>({ moduleName: 'ThreadlineHealth' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createHealthOptions')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
