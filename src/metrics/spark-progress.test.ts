import { describe, expect, it } from 'vitest';
import { registry } from './registry.ts';
import { parseSparkProgress, recordSparkProgress } from './spark-progress.ts';

// shaped like spark/src/main/java/io/emostream/spark/MetricsListener.java#toJson
const REPORT = {
  type: 'spark-progress',
  query: 'emoji-swarm',
  run_id: 'r-1',
  batch_id: 41,
  timestamp: '2026-11-28T15:00:01.250Z',
  input_rows: 1200,
  input_rows_per_second: 2400.5,
  processed_rows_per_second: 3100,
  batch_duration_ms: 380,
  durations_ms: { addBatch: 300 },
  watermark: '2026-11-28T15:00:00.000Z',
  max_event_time: '2026-11-28T15:00:00.900Z',
  rows_dropped_by_watermark: 2,
  rows_dropped_by_watermark_total: 7,
  state_rows: 12,
  invalid: 1,
  invalid_total: 3,
  late: 1,
  late_total: 5,
  duplicates: 0,
  duplicates_total: 9,
  windows: 2,
  windows_total: 40,
  windows_corrected_total: 1,
};

describe('Spark progress from emoji-metrics', () => {
  it('parses a report and ignores anything else', () => {
    const p = parseSparkProgress(JSON.stringify(REPORT));
    expect(p?.batch_id).toBe(41);
    expect(p?.watermark).toBe(REPORT.watermark);
    expect(parseSparkProgress('not json')).toBeNull();
    expect(parseSparkProgress(JSON.stringify({ type: 'tick' }))).toBeNull();
    expect(parseSparkProgress(JSON.stringify({ ...REPORT, batch_id: 'x' }))).toBeNull();
  });

  it('fills missing numbers with 0 and mirrors the report into the gauges', async () => {
    const p = parseSparkProgress(JSON.stringify({ ...REPORT, state_rows: undefined, input_rows_per_second: 'NaN' }))!;
    expect(p.state_rows).toBe(0);
    expect(p.input_rows_per_second).toBe(0);
    recordSparkProgress(parseSparkProgress(JSON.stringify(REPORT))!);
    const text = await registry.metrics();
    expect(text).toMatch(/^emostream_spark_batch_id 41$/m);
    expect(text).toMatch(/^emostream_spark_input_rows_per_second 2400.5$/m);
    expect(text).toMatch(/^emostream_spark_batch_duration_seconds 0.38$/m);
    expect(text).toMatch(/^emostream_spark_late_rows_dropped 7$/m);
    expect(text).toMatch(/^emostream_spark_invalid_records 3$/m);
    expect(text).toMatch(/^emostream_spark_late_events 5$/m);
    expect(text).toMatch(/^emostream_spark_duplicate_events 9$/m);
    expect(text).toMatch(/^emostream_spark_windows_corrected 1$/m);
    expect(text).toMatch(new RegExp(`^emostream_spark_watermark_seconds ${Date.parse(REPORT.watermark) / 1000}$`, 'm'));
  });

  it('keeps an uncounted state row count unknown: null, and the gauge keeps what it had', async () => {
    recordSparkProgress(parseSparkProgress(JSON.stringify(REPORT))!);
    const p = parseSparkProgress(JSON.stringify({ ...REPORT, batch_id: 42, state_rows: null }))!;
    expect(p.state_rows).toBeNull();
    recordSparkProgress(p);
    const text = await registry.metrics();
    expect(text).toMatch(/^emostream_spark_batch_id 42$/m);
    expect(text).toMatch(/^emostream_spark_state_rows 12$/m);
  });
});
