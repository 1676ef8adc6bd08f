// KAFKA_SECURITY_PROTOCOL and its companions (config.kafka.security) as each kind of Kafka client takes them:
// kafkajs options (`kafkajsSecurity`) and Java client properties (`javaClientSecurity`: the Spark job's Kafka
// source, its window and metrics producers; the same keys suit any Java Kafka client). Pure: files are read
// only for the PEM contents Java's PEM key store wants inline.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { KafkaSecurity } from '../config.ts';

export function kafkajsSecurity(sec: KafkaSecurity, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } {
  const out: { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } = {};
  if (sec.ssl) {
    const tls: ConnectionOptions = {};
    if (sec.ssl.caFile) tls.ca = [read(sec.ssl.caFile)];
    if (sec.ssl.certFile) tls.cert = read(sec.ssl.certFile);
    if (sec.ssl.keyFile) tls.key = read(sec.ssl.keyFile);
    out.ssl = Object.keys(tls).length ? tls : true;
  }
  if (sec.sasl) {
    const { username, password } = sec.sasl;
    out.sasl =
      sec.sasl.mechanism === 'PLAIN'
        ? { mechanism: 'plain', username, password }
        : sec.sasl.mechanism === 'SCRAM-SHA-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return out;
}

/** A JAAS option value in double quotes (backslash and quote escaped). */
const jaasQuote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Java Kafka client properties (security.protocol, sasl.*, ssl.* with PEM stores) for this security setting;
 * {} for PLAINTEXT. The SASL password is inside sasl.jaas.config: hand these to a JVM through a file
 * readable by its owner only, never its command line.
 */
export function javaClientSecurity(sec: KafkaSecurity, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): Record<string, string> {
  if (sec.protocol === 'PLAINTEXT') return {};
  const p: Record<string, string> = { 'security.protocol': sec.protocol };
  if (sec.sasl) {
    const module = sec.sasl.mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    p['sasl.mechanism'] = sec.sasl.mechanism;
    p['sasl.jaas.config'] = `${module} required username=${jaasQuote(sec.sasl.username)} password=${jaasQuote(sec.sasl.password)};`;
  }
  if (sec.ssl?.caFile) {
    p['ssl.truststore.type'] = 'PEM';
    p['ssl.truststore.location'] = sec.ssl.caFile;
  }
  if (sec.ssl?.certFile && sec.ssl.keyFile) {
    p['ssl.keystore.type'] = 'PEM';
    p['ssl.keystore.certificate.chain'] = read(sec.ssl.certFile);
    p['ssl.keystore.key'] = read(sec.ssl.keyFile);
  }
  return p;
}

/** java.util.Properties text (ISO-8859-1 safe: non-Latin-1 as \uXXXX; `\`, `=`, `:`, `#`, `!`, line breaks escaped). */
export function propertiesText(p: Record<string, string>): string {
  const esc = (s: string, key: boolean) =>
    s.replace(/[\\=:#!\s]|[^\x20-\x7e]/g, (c) => {
      if (c === ' ') return key ? '\\ ' : ' ';
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      if ('\\=:#!'.includes(c)) return `\\${c}`;
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }).replace(/^ /, '\\ ');
  return Object.entries(p).map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`).join('\n') + '\n';
}
