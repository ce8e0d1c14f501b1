import { DynamicModule, Module } from '@nestjs/common';
import { ThreadlineActorModule } from '@threadline/actor';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { DEFAULT_OPERATOR_PATH, mountPathOf, ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineRetentionModule } from '@threadline/retention';
import { THREADLINE_OPTIONS } from './threadline.constants';
import {
  THREADLINE_ASYNC_OPTIONS_TYPE,
  THREADLINE_MODULE_OPTIONS,
  THREADLINE_OPTIONS_TYPE,
  ThreadlineConfigurableModule,
} from './threadline.module-definition';
import { checkThreadlineOptions, ThreadlineModuleOptions } from './threadline.options';

const FEATURES = [
  ThreadlineCaptureModule,
  ThreadlineRetentionModule,
  ThreadlineActorModule,
  ThreadlineHealthModule,
  ThreadlineExportModule,
];

/**
 * The one module an app imports. A facade: it hands each feature module its
 * slice of the options and makes the features available app-wide. Every
 * slice is validated at boot; a bad option stops the app with a message that
 * names the option and what is allowed.
 *
 * @example
 * ThreadlineModule.forRoot({ capture: { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } } })
 * @example
 * ThreadlineModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c: ConfigService) => c.get('threadline') })
 */
@Module({})
export class ThreadlineModule extends ThreadlineConfigurableModule {
  /** The audit routes and pages are mounted when `operator` is given, at `operator.path` (default '/audit'). */
  static forRoot(options: typeof THREADLINE_OPTIONS_TYPE): DynamicModule {
    return ThreadlineModule.compose(super.forRoot(options), options?.operator ? mountPathOf(options.operator) : false);
  }

  /**
   * `operatorPath` (default '/audit'; false for none) says where the audit
   * routes and pages go: Nest fixes routes before useFactory runs. The
   * factory's `operator.authorize` is then required.
   */
  static forRootAsync({
    operatorPath,
    ...options
  }: typeof THREADLINE_ASYNC_OPTIONS_TYPE & { operatorPath?: string | false }): DynamicModule {
    const mountAt = operatorPath === false ? false : mountPathOf({ path: operatorPath ?? DEFAULT_OPERATOR_PATH });
    return ThreadlineModule.compose(super.forRootAsync(options), mountAt);
  }

  private static compose(base: DynamicModule, mountAt: string | false): DynamicModule {
    const slice = <K extends keyof ThreadlineModuleOptions>(key: K) => ({
      useFactory: (options: ThreadlineModuleOptions) => options[key],
      inject: [THREADLINE_OPTIONS],
    });
    return {
      ...base,
      global: true,
      imports: [
        ...(base.imports ?? []),
        ThreadlineCaptureModule.forRootAsync({
          useFactory: (o: ThreadlineModuleOptions) => o.capture ?? {},
          inject: [THREADLINE_OPTIONS],
        }),
        ThreadlineRetentionModule.forRootAsync(slice('retention')),
        ThreadlineActorModule.forRootAsync(slice('actor')),
        ThreadlineHealthModule.forRootAsync(slice('health')),
        ThreadlineExportModule.forRootAsync({ ...slice('operator'), mountAt }),
      ],
      providers: [
        ...(base.providers ?? []),
        { provide: THREADLINE_OPTIONS, useFactory: checkThreadlineOptions, inject: [THREADLINE_MODULE_OPTIONS] },
      ],
      exports: [THREADLINE_OPTIONS, ...FEATURES],
    };
  }
}
