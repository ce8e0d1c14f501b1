import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { ActorRef, ThreadlineJob } from '@threadline/nestjs';
import { DataSource } from 'typeorm';

/**
 * A scheduled job whose writes are attributed: it runs as the `system` actor
 * `tag-normalizer`, in its own context with a fresh job and correlation id.
 */
@Injectable()
export class TagNormalizerJob {
  private readonly logger = new Logger(TagNormalizerJob.name);

  constructor(private readonly dataSource: DataSource) {}

  /** Lower-cases tags, every minute. Errors are logged, so one bad run cannot crash the app. */
  @Cron(CronExpression.EVERY_MINUTE, { name: 'demo.tag-normalizer' })
  @ThreadlineJob(ActorRef.system('tag-normalizer'))
  async normalizeTags(): Promise<number> {
    try {
      return await this.dataSource.transaction(async (m) => {
        await m.query(
          `INSERT INTO post_tags (post_id, tag) SELECT post_id, lower(tag) FROM post_tags WHERE tag <> lower(tag) ON CONFLICT DO NOTHING`,
        );
        const [, removed] = await m.query(`DELETE FROM post_tags WHERE tag <> lower(tag)`);
        return removed as number;
      });
    } catch (error) {
      this.logger.error(`tag normalization failed: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }
}
