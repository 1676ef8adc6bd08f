// The moment rule's shared examples (contracts/moments.json) on the TypeScript side. There is ONE
// implementation of the rule, in Java (jvm/ MomentRule, run by the Kafka Streams topology on exact counts):
// TypeScript never computes a moment, it only delivers what the topology wrote. So instead of a second
// implementation that could drift, this test runs every example through that same Java class, in this
// process through java-bridge, with the settings the API passes (topologyConfig of the default Config), and
// checks what reaches TypeScript: the moments the examples require, peak emojis intact across the bridge
// (java-bridge 2.8.0 mangles non-BMP characters both ways: the facade returns ASCII-only JSON, and emojis
// going in are escaped by asciiJson), numbers as numbers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { asciiJson, ensureStreamsJvm, topologyConfig } from '../src/streams/bridge.ts';
import type { MomentRecord } from '../src/domain/moment.ts';

interface Case {
  name: string;
  match_id: string;
  windows: { window_start: string; counts: Record<string, number> }[];
  moments: MomentRecord[];
}
const contract = JSON.parse(readFileSync(new URL('../contracts/moments.json', import.meta.url), 'utf8')) as {
  windowMs: number;
  settings: Record<string, number>;
  cases: Case[];
};

describe('moments: contracts/moments.json through the Java rule (java-bridge)', async () => {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', DATA_DIR: 'test-data/moments-contract' });
  const java = await ensureStreamsJvm({ heap: '128m', dataDir: config.dataDir });
  const Facade = java.importClass('io.emostream.streams.ExactCountsFacade') as unknown as {
    detectMomentsSync(configJson: string, matchId: string, windowsJson: string): string;
  };
  const tc = topologyConfig(config);

  it('the examples use the default thresholds of the API configuration', () => {
    expect(contract.windowMs).toBe(config.windows.windowMs);
    expect(contract.settings).toEqual({
      momentBaselineWindows: tc.momentBaselineWindows,
      momentMinHistory: tc.momentMinHistory,
      momentMinScore: tc.momentMinScore,
      momentMinCount: tc.momentMinCount,
    });
  });

  it('includes a quiet match that must produce no moment', () => {
    expect(contract.cases.some((c) => c.moments.length === 0 && /quiet/.test(c.name))).toBe(true);
  });

  for (const c of contract.cases) {
    it(c.name, () => {
      const got = JSON.parse(Facade.detectMomentsSync(JSON.stringify(tc), c.match_id, asciiJson(c.windows))) as MomentRecord[];
      expect(got).toEqual(c.moments);
    });
  }
});
