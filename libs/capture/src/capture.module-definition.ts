import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CaptureOptions } from './capture.options';

export const { ConfigurableModuleClass: CaptureConfigurableModule, MODULE_OPTIONS_TOKEN: CAPTURE_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<CaptureOptions>({ moduleName: 'ThreadlineCapture' }).setClassMethodName('forRoot').setFactoryMethodName('createCaptureOptions').build();
