import { Module } from '@nestjs/common';

/**
 * Threadline health module. Its behaviour arrives with its own issue; the module
 * exists now so ThreadlineModule composes the final shape from the start.
 */
@Module({})
export class ThreadlineHealthModule {}
