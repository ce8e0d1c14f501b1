import { ConfigurableModuleBuilder } from '@nestjs/common';
import { OperatorOptions } from './operator.options';

export const {
  ConfigurableModuleClass: OperatorConfigurableModule,
  MODULE_OPTIONS_TOKEN: OPERATOR_MODULE_OPTIONS,
  OPTIONS_TYPE: OPERATOR_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OPERATOR_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OperatorOptions | undefined>({ moduleName: 'ThreadlineOperator' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createOperatorOptions')
  .build();
