// The Spark job's launch settings from Config: the driver's network (local vs cluster master), the
// checkpoint folder, and Kafka security handed over in an owner-only properties file.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { KAFKA_PROPERTIES_PROPERTY, readJobLogLine, sparkDriverNetwork, sparkJobArgs, sparkKafkaSecurity } from './job.ts';

const dir = mkdtempSync(join(tmpdir(), 'spark-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = (env: Record<string, string>) => loadConfig({ DATA_DIR: dir, ...env });

describe('Spark launch settings', () => {
  it('a local master keeps the driver on 127.0.0.1', () => {
    expect(sparkDriverNetwork(cfg({}))).toEqual({
      jvmArgs: ['-Dspark.driver.host=127.0.0.1', '-Dspark.driver.bindAddress=127.0.0.1'],
      env: { SPARK_LOCAL_IP: '127.0.0.1' },
    });
  });

  it('a cluster master forces no loopback address: Spark defaults, or what SPARK_DRIVER_* say, ports fixed when given', () => {
    expect(sparkDriverNetwork(cfg({ SPARK_MASTER: 'spark://m:7077' }))).toEqual({ jvmArgs: [], env: {} });
    expect(
      sparkDriverNetwork(cfg({ SPARK_MASTER: 'spark://m:7077', SPARK_DRIVER_HOST: 'api-1.internal', SPARK_DRIVER_BIND_ADDRESS: '0.0.0.0', SPARK_DRIVER_PORT: '7078', SPARK_BLOCKMANAGER_PORT: '7079' })),
    ).toEqual({
      jvmArgs: ['-Dspark.driver.host=api-1.internal', '-Dspark.driver.bindAddress=0.0.0.0', '-Dspark.driver.port=7078', '-Dspark.blockManager.port=7079'],
      env: { SPARK_LOCAL_IP: '0.0.0.0' },
    });
  });

  it('the checkpoint folder: DATA_DIR by default, SPARK_CHECKPOINT_DIR when set, URIs refused', () => {
    const arg = (c: ReturnType<typeof cfg>) => sparkJobArgs(c, { brokers: ['b:9092'] }).find((a) => a.startsWith('--checkpoint-dir='));
    expect(arg(cfg({}))).toBe(`--checkpoint-dir=${join(dir, 'spark', 'checkpoint')}`);
    expect(arg(cfg({ SPARK_CHECKPOINT_DIR: '/mnt/shared/emostream/checkpoint' }))).toBe('--checkpoint-dir=/mnt/shared/emostream/checkpoint');
    expect(() => cfg({ SPARK_CHECKPOINT_DIR: 'hdfs:///emostream/checkpoint' })).toThrow(ConfigError);
  });

  it('Kafka security reaches the job through a file only its owner reads; PLAINTEXT adds nothing', () => {
    expect(sparkKafkaSecurity(cfg({}))).toEqual([]);
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const c = cfg({ KAFKA_BROKERS: 'k1:9093', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'emo', KAFKA_SASL_PASSWORD: 's3cret', KAFKA_SSL_CA_FILE: ca });
    const args = sparkKafkaSecurity(c);
    expect(args).toHaveLength(1);
    const file = args[0]!.slice(`-D${KAFKA_PROPERTIES_PROPERTY}=`.length);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('security.protocol=SASL_SSL\n');
    expect(text).toContain('sasl.mechanism=SCRAM-SHA-256\n');
    expect(text).toContain('password\\="s3cret"');
    expect(text).toContain(`ssl.truststore.location=${ca.replace(/:/g, '\\:')}\n`);
    // never on the command line
    expect(sparkJobArgs(c, { brokers: ['k1:9093'] }).join(' ')).not.toContain('s3cret');
  });
});

describe("the job's log lines", () => {
  const at = '2026-11-30T22:08:50.077 INFO MetricsListener:';
  it('a progress report, an idle report (the sign of life at rest, no micro-batch), or nothing', () => {
    expect(readJobLogLine(`${at} progress {"type":"spark-progress","batch_id":37,"batch_duration_ms":310}`)).toEqual({
      progress: { type: 'spark-progress', batch_id: 37, batch_duration_ms: 310 },
    });
    expect(readJobLogLine(`${at} idle {"type":"spark-idle","run_id":"e935","timestamp":"2026-11-30T22:08:50.000Z"}`)).toBe('idle');
    expect(readJobLogLine(`${at} progress {"type":"spark-prog`)).toBeNull(); // cut short (the job died mid-line)
    expect(readJobLogLine('2026-11-30T22:08:50.077 INFO MicroBatchExecution: idle for a while')).toBeNull();
    expect(readJobLogLine('')).toBeNull();
  });
});
