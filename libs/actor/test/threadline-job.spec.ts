import { ActorRef, ThreadlineJob } from '../src';

class Jobs {
  @ThreadlineJob(ActorRef.system('sync-job'))
  sync(n: number): number {
    return n * 2;
  }
  @ThreadlineJob(ActorRef.system('sync-job'))
  throws(): never {
    throw new RangeError('bad input');
  }
  @ThreadlineJob(ActorRef.system('async-job'))
  async later(n: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 1));
    return n + 1;
  }
}

/**
 * @ThreadlineJob wraps a method in a context (and, with @opentelemetry/api installed, as it is in this workspace, in
 * a span): the caller sees what the method returns or throws, unchanged. A synchronous handler stays synchronous
 * (an event listener or setInterval callback that ignores the result must not get a rejected promise instead of a
 * throw).
 */
describe('@ThreadlineJob keeps the method’s own return and throw', () => {
  const jobs = new Jobs();

  it('a synchronous method returns its value, not a promise', () => {
    expect(jobs.sync(21)).toBe(42);
  });

  it('a synchronous throw stays synchronous', () => {
    expect(() => jobs.throws()).toThrow(RangeError);
  });

  it('an async method resolves to its value', async () => {
    await expect(jobs.later(1)).resolves.toBe(2);
  });
});
