import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ProofOptions } from './proof.options';

/** Global by default, like capture: health's Terminus indicator and the operator pages verify the chain with it. */
export const { ConfigurableModuleClass: ProofConfigurableModule, MODULE_OPTIONS_TOKEN: PROOF_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<ProofOptions | undefined>({ moduleName: 'ThreadlineProof' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createProofOptions')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
