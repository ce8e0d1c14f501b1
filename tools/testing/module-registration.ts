import { DynamicModule, Injectable, Module, Type } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';

interface ConfigurableModule<O> {
  forRoot(options: O): DynamicModule;
  forRootAsync(options: Record<string, unknown>): DynamicModule;
}

/**
 * One test per registration form a Threadline module offers: forRoot, and
 * forRootAsync with useFactory, useClass and useExisting. Each must resolve
 * the same options, which `check` asserts.
 */
export function itResolvesEveryRegistrationForm<O>(spec: {
  module: ConfigurableModule<O>;
  /** The factory method name the module's builder expects (`createCaptureOptions`, ...). */
  factoryMethod: string;
  options: O;
  /** Modules the feature needs beside itself (TypeORM, capture). */
  imports: () => (DynamicModule | Type<unknown>)[];
  check: (moduleRef: TestingModule) => void;
}): void {
  class OptionsFactory {}
  (OptionsFactory.prototype as unknown as Record<string, () => O>)[spec.factoryMethod] = () => spec.options;
  Injectable()(OptionsFactory);
  class FactoryModule {}
  Module({ providers: [OptionsFactory], exports: [OptionsFactory] })(FactoryModule);

  it.each([
    ['forRoot', () => spec.module.forRoot(spec.options)],
    ['forRootAsync useFactory', () => spec.module.forRootAsync({ useFactory: async () => spec.options })],
    ['forRootAsync useClass', () => spec.module.forRootAsync({ useClass: OptionsFactory })],
    [
      'forRootAsync useExisting',
      () => spec.module.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory }),
    ],
  ])('%s resolves the same options', async (_name, register) => {
    const moduleRef = await Test.createTestingModule({ imports: [...spec.imports(), register()] }).compile();
    try {
      spec.check(moduleRef);
    } finally {
      await moduleRef.close();
    }
  });
}
