// @threadline/baseline: recording the rows a table held before capture began, as snapshot changes, so
// they have history (the one Threadline lib besides capture and retention that writes audit rows). The
// baseline command comes with ThreadlineBaselineModule.
export * from './baseline.errors';
export * from './baseline.service';
export * from './baseline.types';
export { ThreadlineBaselineModule } from './baseline.module';
