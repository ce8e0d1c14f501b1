export { ThreadlineExportModule } from './export.module';
