export { ThreadlineModule } from './threadline.module';
export { ThreadlineModuleOptions, checkThreadlineOptions } from './threadline.options';
export { THREADLINE_OPTIONS } from './threadline.constants';
export * from '@threadline/capture';
export * from '@threadline/actor';
export * from '@threadline/retention';
export * from '@threadline/health';
export * from '@threadline/export';
export * from '@threadline/operator';
