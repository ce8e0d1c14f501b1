import {
  ActorRef,
  actorOptionsProblems,
  InvalidActionError,
  InvalidActorError,
  InvalidJobPayloadError,
  MissingActorError,
} from '../src';
import { ThreadlineError } from '@threadline/core';

describe('actor errors', () => {
  it('each failure is its own ThreadlineError, named after its class', () => {
    const errors = [
      InvalidActorError.notJson('{'),
      InvalidActorError.repeatedKey('{"type":"job","type":"job"}'),
      MissingActorError.create(),
      InvalidActionError.badName(200),
      InvalidActionError.badStatus('maybe'),
      InvalidActionError.badContextId('jobId', 256),
      InvalidJobPayloadError.create(),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(ThreadlineError);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('says how to fix it: the actor rule, where an actor comes from, what an option takes', () => {
    expect(() => ActorRef.parse('{')).toThrow(/^Invalid actor \(malformed_actor\): not valid JSON: \{; an actor is/);
    expect(MissingActorError.create().message).toMatch(/pass options.actor/);
    expect(actorOptionsProblems({ resolveActor: 1, mountContext: 'y', dataSources: [''] } as never)).toEqual([
      'actor.resolveActor must be a function (request) => ActorRef | null',
      'actor.mountContext must be true or false',
      'actor.dataSources must be a list of TypeORM DataSource names, as given to TypeOrmModule.forRoot({ name }) (got [""])',
    ]);
  });
});
