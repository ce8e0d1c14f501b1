// Re-exported so that code written against @threadline/capture before the core split keeps compiling.
export * from '@threadline/core';
export * from './capture.options';
export * from './catalog/table-description';
export * from './catalog/catalog.reader';
export * from './catalog/deployed-capture';
export * from './schema/audit-schema.sql';
export * from './schema/capture-functions.sql';
export * from './trigger/trigger-names';
export * from './trigger/trigger-sql.generator';
export * from './capture.constants';
export * from './capture.module';
export * from './capture.service';
export * from './migration/migration-writer';
export { InstallCommand } from './commands/install.command';
export { GenTriggersCommand } from './commands/gen-triggers.command';
export * from './schema/current-transaction';
