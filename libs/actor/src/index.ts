export { ThreadlineActorModule } from './actor.module';
