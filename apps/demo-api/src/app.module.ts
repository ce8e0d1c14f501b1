import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ThreadlineModule, ThreadlineModuleOptions } from '@threadline/nestjs';
import * as path from 'path';
import { DemoSessionController } from './demo-auth';
import { HealthController } from './health.controller';
import { PostTag } from './posts/post-tag.entity';
import { Post } from './posts/post.entity';
import { PostsController } from './posts/posts.controller';
import { TelemetryShutdown } from './telemetry';
import { TagNormalizerJob } from './posts/tag-normalizer.job';
import { threadlineOptions } from './threadline.config';
import { User } from './users/user.entity';
import { UsersController } from './users/users.controller';

export interface DemoAppOptions {
  databaseUrl: string;
  /** Apply pending migrations at start (the HTTP app does; the CLI has `migrate`). */
  runMigrations: boolean;
  /** Start scheduled jobs (the HTTP app does; the CLI and tests do not). @default false */
  scheduledJobs?: boolean;
  /** How often the coverage page refreshes (tests shorten it). @default 30 */
  coverageRefreshSeconds?: number;
  /** Capture options instead of the demo's own (tests change the config to see drift). */
  capture?: ThreadlineModuleOptions['capture'];
}

@Module({})
export class AppModule {
  static forRoot(options: DemoAppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.databaseUrl,
          entities: [User, Post, PostTag],
          migrations: [path.join(__dirname, 'migrations', '*.{js,ts}')],
          migrationsRun: options.runMigrations,
          synchronize: false,
          // Not 'error' (nor 'query'): TypeORM then prints each failed query with its parameters, the very
          // values capture masks or excludes (a duplicate email, a password hash). A failed query still throws.
          logging: ['warn', 'migration'],
        }),
        ThreadlineModule.forRoot({
          ...threadlineOptions,
          ...(options.capture && { capture: options.capture }),
          operator: {
            ...threadlineOptions.operator,
            ...(options.coverageRefreshSeconds && { coverageRefreshSeconds: options.coverageRefreshSeconds }),
          },
        }),
        TerminusModule,
        ...(options.scheduledJobs ? [ScheduleModule.forRoot()] : []),
      ],
      controllers: [UsersController, PostsController, HealthController, DemoSessionController],
      providers: [TagNormalizerJob, TelemetryShutdown],
    };
  }
}
