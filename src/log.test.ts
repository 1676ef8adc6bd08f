import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, part and fields', () => {
    const { lines, destination } = capture();
    const log = createLogger('info', 'emostream', { format: 'json', destination });
    log.info('up', { ms: 12 });
    log.debug('hidden below the level');
    log.child('spark').warn('slow');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'info', part: 'emostream', msg: 'up', ms: 12, pid: process.pid });
    expect(new Date(a!.time as string).toISOString()).toBe(a!.time);
    expect(b).toMatchObject({ level: 'warn', part: 'spark', msg: 'slow' });
  });

  it('a child of a child names the newest part once (no nesting, no duplicate keys)', () => {
    const { lines, destination } = capture();
    createLogger('debug', 'a', { format: 'json', destination }).child('b').child('c').debug('x');
    expect(lines[0]!.match(/"part"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ part: 'c', level: 'debug' });
  });

  it('pretty: one readable line with the part and message (auto picks it on a terminal)', () => {
    const { lines, destination } = capture();
    createLogger('info', 'kafka-broker', { format: 'auto', tty: true, destination }).info('up in 3 s');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO.*\[kafka-broker\] up in 3 s/);
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });

  it('bulk (the access log): the same JSON lines, as the part it names, on a given destination', () => {
    const { lines, destination } = capture();
    const log = createLogger('info', 'emostream', { format: 'json', destination });
    log.bulk!('api').info('request', { status: 202 });
    log.child('spark').bulk!('api').debug('hidden below the level');
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([{ level: 'info', part: 'api', msg: 'request', status: 202 }]);
  });
});
