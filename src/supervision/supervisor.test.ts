import { KafkaJSConnectionError, KafkaJSNonRetriableError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { RestartPolicy } from './policy.ts';
import { supervise, type Supervisable } from './supervisor.ts';

const policy: RestartPolicy = { initialBackoffMs: 100, maxBackoffMs: 400, maxRestarts: 3, periodMs: 10_000, waitMaxMs: 250, healthyAfterMs: 600_000 };

/** A fake clock with timers that fire only when the test advances time. */
function fakeTime() {
  let t = 1_000_000;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    setTimer: (fn: () => void, ms: number) => {
      const e = { at: t + ms, fn };
      timers.push(e);
      return e;
    },
    clearTimer: (e: unknown) => {
      const i = timers.indexOf(e as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    async advance(ms: number) {
      t += ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > t) break;
        timers.shift();
        due.fn();
        await flush();
      }
      await flush();
    },
    pending: () => timers.length,
  };
}
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A part whose instances die when the test says so; `failStarts` makes the next n starts throw. */
function fakePart() {
  const instances: { id: number; die: (reason: string) => void; stopped: boolean }[] = [];
  let failStarts = 0;
  let startError = () => new Error('cannot start');
  const part: Supervisable<(typeof instances)[number]> = {
    async start() {
      if (failStarts > 0) {
        failStarts--;
        throw startError();
      }
      let die!: (r: string) => void;
      const died = new Promise<string>((r) => (die = r));
      const inst = { id: instances.length + 1, die, stopped: false, died };
      instances.push(inst);
      return inst;
    },
    died: (h) => (h as unknown as { died: Promise<string> }).died,
    async stop(h) {
      h.stopped = true;
    },
  };
  return {
    part,
    instances,
    failNextStarts: (n: number, err?: () => Error) => {
      failStarts = n;
      if (err) startError = err;
    },
  };
}

describe('supervise', () => {
  it('restarts a part that dies, after the backoff, and counts it', async () => {
    const time = fakeTime();
    const { part, instances } = fakePart();
    const restarts: number[] = [];
    const s = supervise('broker', part, { policy, ...time, onRestart: (a) => restarts.push(a) });
    await s.started;
    expect(s.status()).toMatchObject({ phase: 'running', restarts: 0 });

    instances[0]!.die('exit 137');
    await flush();
    expect(s.status()).toMatchObject({ phase: 'restarting', lastFailure: 'died: exit 137', nextRestartAt: time.now() + 100 });
    expect(s.current()).toBeNull();
    await time.advance(99);
    expect(instances).toHaveLength(1); // not before the backoff
    await time.advance(1);
    expect(instances).toHaveLength(2);
    expect(s.current()).toBe(instances[1]);
    expect(s.status()).toMatchObject({ phase: 'running', restarts: 1 });
    expect(restarts).toEqual([1]);
  });

  it('doubles the backoff per failure inside the period and gives up past the budget', async () => {
    const time = fakeTime();
    const { part, instances } = fakePart();
    const gaveUp: string[] = [];
    const s = supervise('spark', part, { policy, ...time, onGiveUp: (r) => gaveUp.push(r) });
    await s.started;
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      instances.at(-1)!.die('crash');
      await flush();
      delays.push(s.status().nextRestartAt! - time.now());
      await time.advance(delays.at(-1)!);
    }
    expect(delays).toEqual([100, 200, 400]);
    expect(s.status()).toMatchObject({ phase: 'running', restarts: 3 });
    instances.at(-1)!.die('crash');
    await flush();
    expect(s.status().phase).toBe('failed');
    expect(gaveUp).toHaveLength(1);
    expect(time.pending()).toBe(0); // nothing scheduled any more
  });

  it('a failed restart counts as a failure and is retried', async () => {
    const time = fakeTime();
    const { part, instances, failNextStarts } = fakePart();
    const s = supervise('streams', part, { policy, ...time });
    await s.started;
    failNextStarts(1);
    instances[0]!.die('ERROR');
    await flush();
    await time.advance(100); // restart 1 fails
    expect(s.status()).toMatchObject({ phase: 'restarting', lastFailure: 'restart failed: cannot start' });
    await time.advance(200); // restart 2 succeeds
    expect(s.status()).toMatchObject({ phase: 'running', restarts: 2 });
    expect(instances).toHaveLength(2);
  });

  it('a part failing now and then is restarted for ever (budget per period)', async () => {
    const time = fakeTime();
    const { part, instances } = fakePart();
    const s = supervise('consumer', part, { policy, ...time });
    await s.started;
    for (let i = 0; i < 10; i++) {
      await time.advance(6000); // 2 failures at most inside any 10 s
      instances.at(-1)!.die('crash');
      await flush();
      expect(s.status().phase).toBe('restarting');
      await time.advance(200); // the second failure inside a period waits 200 ms
    }
    expect(s.status()).toMatchObject({ phase: 'running', restarts: 10 });
  });

  it('stop cancels a pending restart and stops the running instance; a stopped part is not restarted', async () => {
    const time = fakeTime();
    const { part, instances } = fakePart();
    const s = supervise('broker', part, { policy, ...time });
    await s.started;
    instances[0]!.die('exit 1');
    await flush();
    await s.stop();
    await time.advance(10_000);
    expect(instances).toHaveLength(1);
    expect(s.status().phase).toBe('stopped');

    const b = fakePart();
    const s2 = supervise('broker', b.part, { policy, ...time });
    await s2.started;
    await s2.stop();
    expect(b.instances[0]!.stopped).toBe(true);
    b.instances[0]!.die('SIGTERM'); // the exit caused by stop() is not a failure
    await time.advance(10_000);
    expect(b.instances).toHaveLength(1);
  });

  it('the first start is not retried: its failure rejects `started`', async () => {
    const time = fakeTime();
    const { part, failNextStarts } = fakePart();
    failNextStarts(1);
    const s = supervise('broker', part, { policy, ...time });
    await expect(s.started).rejects.toThrow('cannot start');
    await flush();
    expect(s.status()).toMatchObject({ phase: 'failed', lastFailure: 'start failed: cannot start' });
  });

  // what kafkajs' consumer.connect() rejects with while the broker is away (seen in the platform's log)
  const refused = () => new KafkaJSNonRetriableError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:29802'));

  it('a part whose dependency is away is retried past the budget, says what it waits for, and runs again once it is back', async () => {
    const time = fakeTime();
    const { part, instances, failNextStarts } = fakePart();
    const gaveUp: string[] = [];
    const logged: string[] = [];
    const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    const s = supervise('window-consumer', part, { policy, ...time, log, onGiveUp: (r) => gaveUp.push(r) });
    await s.started;
    // the broker goes away: the consumer stops with kafkajs' error, then 20 restarts fail to connect
    failNextStarts(20, refused);
    instances[0]!.die('crashed: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:29802');
    await flush();
    expect(s.status()).toMatchObject({ phase: 'restarting', waitingFor: 'kafka', nextRestartAt: time.now() + 100 });
    const delays: number[] = [];
    for (let i = 0; i < 21; i++) {
      delays.push(s.status().nextRestartAt! - time.now());
      await time.advance(delays.at(-1)!);
      if (i < 20) expect(s.status()).toMatchObject({ phase: 'restarting', waitingFor: 'kafka', lastFailure: 'restart failed: Connection error: connect ECONNREFUSED 127.0.0.1:29802' });
    }
    // doubling from the initial backoff up to waitMaxMs, never given up on (the budget is 3 restarts)
    expect(delays.slice(0, 4)).toEqual([100, 200, 250, 250]);
    expect(delays.slice(4).every((d) => d === 250)).toBe(true);
    expect(gaveUp).toEqual([]);
    // the 21st start succeeds: running, nothing waited for any more
    expect(s.status().phase).toBe('running');
    expect(s.status().waitingFor).toBeUndefined();
    expect(s.current()).toBe(instances[1]);
    expect(s.status().restarts).toBe(21);
    expect(logged.at(-1)).toMatch(/restarted in .*kafka is back/);
    // and the crash budget is untouched: 3 crashes are still restarted
    for (let i = 0; i < 3; i++) {
      instances.at(-1)!.die('crash');
      await flush();
      expect(s.status()).toMatchObject({ phase: 'restarting' });
      expect(s.status().waitingFor).toBeUndefined();
      await time.advance(s.status().nextRestartAt! - time.now());
    }
    expect(s.status().phase).toBe('running');
  });

  it('a crash loop is still given up on, also between failures that waited for the dependency', async () => {
    const time = fakeTime();
    const { part, instances, failNextStarts } = fakePart();
    const s = supervise('match-log', part, { policy, ...time });
    await s.started;
    for (let i = 0; i < 3; i++) {
      failNextStarts(2, refused); // two restarts wait for Kafka, the third starts and crashes on its own
      instances.at(-1)!.die('TypeError: cannot read properties of undefined');
      await flush();
      for (let j = 0; j < 3; j++) await time.advance(s.status().nextRestartAt! - time.now());
      expect(s.status().phase).toBe('running');
    }
    instances.at(-1)!.die('TypeError: cannot read properties of undefined'); // the 4th crash inside 10 s
    await flush();
    expect(s.status()).toMatchObject({ phase: 'failed', lastFailure: 'died: TypeError: cannot read properties of undefined' });
    expect(time.pending()).toBe(0);
  });

  it('an instance that ran healthily for healthyAfterMs forgets the crashes before it', async () => {
    const time = fakeTime();
    const { part, instances } = fakePart();
    const s = supervise('spark', part, { policy: { ...policy, healthyAfterMs: 5000, periodMs: 60_000 }, ...time });
    await s.started;
    for (let i = 0; i < 3; i++) {
      instances.at(-1)!.die('exited (1)');
      await flush();
      await time.advance(s.status().nextRestartAt! - time.now());
    }
    await time.advance(5000); // a healthy run
    instances.at(-1)!.die('exited (1)'); // the 4th crash inside the period: restarted, the count starts afresh
    await flush();
    expect(s.status()).toMatchObject({ phase: 'restarting', nextRestartAt: time.now() + 100 });
    await time.advance(100);
    await time.advance(4999); // not healthy long enough this time
    instances.at(-1)!.die('exited (1)');
    await flush();
    expect(s.status()).toMatchObject({ phase: 'restarting', nextRestartAt: time.now() + 200 });
  });

  it('the kafka-broker part can opt out: its own failures are crashes whatever they say', async () => {
    const time = fakeTime();
    const { part, instances, failNextStarts } = fakePart();
    const s = supervise('kafka-broker', part, { policy, ...time, dependencyOf: () => null });
    await s.started;
    failNextStarts(10, refused);
    instances[0]!.die('exited (SIGKILL)');
    await flush();
    for (let i = 0; i < 3; i++) await time.advance(s.status().nextRestartAt! - time.now());
    expect(s.status()).toMatchObject({ phase: 'failed' });
  });
});
