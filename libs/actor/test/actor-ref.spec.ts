import { ACTOR_RULE } from '@threadline/core';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ActorRef, InvalidActorError, IsActorRef } from '../src';

describe('ActorRef', () => {
  it('builds, serializes and parses every type', () => {
    expect(ActorRef.user('42').serialize()).toBe('{"type":"user","id":"42"}');
    expect(ActorRef.anonymous().serialize()).toBe('{"type":"anonymous"}');
    expect(ActorRef.parse('service_account:billing').toJSON()).toEqual({ type: 'service_account', id: 'billing' });
    expect(ActorRef.parse('job:a:b').id).toBe('a:b');
    expect(ActorRef.parse('anonymous').equals(ActorRef.anonymous())).toBe(true);
    expect(ActorRef.parse('{"type":"admin","id":"7"}').toString()).toBe('admin:7');
    expect(ActorRef.of({ type: 'system', id: 5 }).id).toBe('5');
  });

  it.each([
    [{ type: 'robot', id: '1' }, 'unknown_actor_type'],
    [{ id: '1' }, 'unknown_actor_type'],
    [{ type: 'user' }, 'missing_actor_id'],
    [{ type: 'user', id: '   ' }, 'missing_actor_id'],
    ['user:1', 'malformed_actor'],
    [null, 'malformed_actor'],
  ])('rejects %j with reason %s', (value, reason) => {
    let error: unknown;
    try {
      ActorRef.of(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidActorError);
    expect((error as InvalidActorError).reason).toBe(reason);
    expect((error as Error).message).toContain(`Invalid actor (${reason})`);
  });

  it('rejects bad text forms with the reason', () => {
    expect(() => ActorRef.parse('robot:1')).toThrow(
      'Invalid actor (unknown_actor_type): type "robot" is not one of user, admin, service_account, job, system, anonymous',
    );
    expect(() => ActorRef.parse('user:')).toThrow('missing_actor_id');
    expect(() => ActorRef.parse('{nope')).toThrow('malformed_actor');
  });

  it('rejects an id longer than the database accepts, with the rule the database states', () => {
    expect(() => ActorRef.user('x'.repeat(257))).toThrow(
      `Invalid actor (actor_id_too_long): the id has 257 characters; ${ACTOR_RULE}`,
    );
    expect(ActorRef.user('x'.repeat(256)).id).toHaveLength(256);
    expect(() => ActorRef.of({ type: 'user', id: '' })).toThrow(ACTOR_RULE);
  });

  it('validates DTO properties with @IsActorRef()', () => {
    class Dto {
      @IsActorRef() actor: unknown;
    }
    expect(validateSync(plainToInstance(Dto, { actor: { type: 'user', id: '1' } }))).toEqual([]);
    const [error] = validateSync(plainToInstance(Dto, { actor: { type: 'user' } }));
    expect(error.constraints).toEqual({
      isActorRef: 'actor is not a valid actor: an actor of type user needs a non-empty id',
    });
  });
});
