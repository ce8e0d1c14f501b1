import { Injectable } from '@nestjs/common';
import { currentAuditTransactionId } from '@threadline/nestjs';
import { DataSource, EntityManager } from 'typeorm';
import { DemoActor } from './demo-auth';

/**
 * Runs writes in one transaction that carries the actor, and reports the
 * audit transaction they produced. (Interim: the actor issue replaces this
 * with the library's request-scoped transaction handling.)
 */
@Injectable()
export class AuditedWrites {
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(actor: DemoActor, work: (manager: EntityManager) => Promise<T>): Promise<{ result: T; auditTransactionId: string | null }> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('threadline.actor_ref', $1, true)`, [JSON.stringify(actor)]);
      const result = await work(manager);
      return { result, auditTransactionId: await currentAuditTransactionId(manager) };
    });
  }
}
