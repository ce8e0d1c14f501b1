import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ThreadlineModuleOptions } from './threadline.options';

export const {
  ConfigurableModuleClass: ThreadlineConfigurableModule,
  MODULE_OPTIONS_TOKEN: THREADLINE_MODULE_OPTIONS,
  OPTIONS_TYPE: THREADLINE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: THREADLINE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ThreadlineModuleOptions>({ moduleName: 'Threadline' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createThreadlineOptions')
  .build();

/** What `ThreadlineModule.forRootAsync` takes: `useFactory` (with `imports` and `inject`), `useClass` or `useExisting`. */
export type ThreadlineModuleAsyncOptions = typeof THREADLINE_ASYNC_OPTIONS_TYPE;
