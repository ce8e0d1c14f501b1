import { DynamicModule, Module } from '@nestjs/common';
import { ThreadlineActorModule } from '@threadline/actor';
import { ThreadlineCaptureModule } from '@threadline/capture';
import { ThreadlineBaselineModule } from '@threadline/baseline';
import { ThreadlineExportModule } from '@threadline/export';
import { ThreadlineHealthModule } from '@threadline/health';
import { ThreadlineOperatorModule } from '@threadline/operator';
import { ThreadlineProofModule } from '@threadline/proof';
import { ThreadlineRetentionModule } from '@threadline/retention';
import { THREADLINE_OPTIONS } from './threadline.constants';
import { ThreadlineMetricsBridge } from './threadline-metrics.bridge';
import {
  ThreadlineModuleAsyncOptions,
  THREADLINE_MODULE_OPTIONS,
  THREADLINE_OPTIONS_TYPE,
  ThreadlineConfigurableModule,
} from './threadline.module-definition';
import { resolveThreadlineOptions, ThreadlineModuleOptions } from './threadline.options';

const FEATURES = [
  ThreadlineCaptureModule,
  ThreadlineRetentionModule,
  ThreadlineActorModule,
  ThreadlineProofModule,
  ThreadlineHealthModule,
  ThreadlineBaselineModule,
  ThreadlineExportModule,
];

/**
 * The one module an app imports. A facade: it hands each feature module its
 * slice of the options and makes the features available app-wide. All the
 * options are checked at boot, before any feature reads its slice: a bad
 * configuration stops the app with one error listing every problem, each
 * naming the option and what is allowed.
 *
 * The audit routes and pages are mounted at `operator.path` (default
 * '/audit') when `operator` is given; with forRootAsync, when the factory
 * returns it (otherwise those routes answer 404).
 *
 * @example
 * ThreadlineModule.forRoot({ capture: { tables: { users: { mask: ['email'], exclude: ['password_hash'] } } } })
 * @example
 * ThreadlineModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c: ConfigService) => c.get('threadline') })
 */
@Module({})
export class ThreadlineModule extends ThreadlineConfigurableModule {
  static forRoot(options: typeof THREADLINE_OPTIONS_TYPE): DynamicModule {
    return ThreadlineModule.compose(super.forRoot(options), options?.operator !== undefined);
  }

  static forRootAsync(options: ThreadlineModuleAsyncOptions): DynamicModule {
    return ThreadlineModule.compose(super.forRootAsync(options), true);
  }

  private static compose(base: DynamicModule, operator: boolean): DynamicModule {
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
        // tamper evidence is configured under health.integrity (its Terminus check is health's)
        ThreadlineProofModule.forRootAsync({
          useFactory: (o: ThreadlineModuleOptions) => ({ integrity: o.health?.integrity }),
          inject: [THREADLINE_OPTIONS],
        }),
        ThreadlineHealthModule.forRootAsync(slice('health')),
        ThreadlineBaselineModule,
        ThreadlineExportModule,
        ...(operator ? [ThreadlineOperatorModule.forRootAsync(slice('operator'))] : []),
      ],
      providers: [
        ...(base.providers ?? []),
        { provide: THREADLINE_OPTIONS, useFactory: resolveThreadlineOptions, inject: [THREADLINE_MODULE_OPTIONS] },
        ThreadlineMetricsBridge,
      ],
      exports: [THREADLINE_OPTIONS, ...FEATURES, ...(operator ? [ThreadlineOperatorModule] : [])],
    };
  }
}
