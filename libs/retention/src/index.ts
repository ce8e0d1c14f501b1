export * from './retention.options';
export * from './retention.constants';
export { ThreadlineRetentionModule } from './retention.module';
