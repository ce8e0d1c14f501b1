import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CaptureOptions } from './capture.options';

/**
 * Global by default: the other feature modules (actor, retention, health,
 * export) read the resolved capture options, so registering capture once
 * makes each of them work on its own too.
 */
export const { ConfigurableModuleClass: CaptureConfigurableModule, MODULE_OPTIONS_TOKEN: CAPTURE_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<CaptureOptions>({ moduleName: 'ThreadlineCapture' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createCaptureOptions')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
