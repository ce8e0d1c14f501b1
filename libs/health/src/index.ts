export { ThreadlineHealthModule } from './health.module';
