import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ActorOptions } from './actor.options';

export const { ConfigurableModuleClass: ActorConfigurableModule, MODULE_OPTIONS_TOKEN: ACTOR_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<ActorOptions | undefined>({ moduleName: 'ThreadlineActor' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createActorOptions')
    .build();
