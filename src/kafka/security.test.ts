import { describe, expect, it } from 'vitest';
import type { KafkaSecurity } from '../config.ts';
import { javaClientSecurity, kafkajsSecurity, propertiesText } from './security.ts';

const files: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT\nLINE', '/k.pem': 'KEY' };
const read = (f: string) => files[f]!;
const plain: KafkaSecurity = { protocol: 'PLAINTEXT', sasl: null, ssl: null };
const saslSsl: KafkaSecurity = {
  protocol: 'SASL_SSL',
  sasl: { mechanism: 'SCRAM-SHA-512', username: 'emo', password: 'p"w\\d' },
  ssl: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' },
};

describe('Kafka security for each client', () => {
  it('PLAINTEXT adds nothing', () => {
    expect(kafkajsSecurity(plain, read)).toEqual({});
    expect(javaClientSecurity(plain, read)).toEqual({});
  });

  it('kafkajs: TLS with the PEM contents, SASL with the lower-case mechanism; TLS without files is ssl: true', () => {
    expect(kafkajsSecurity(saslSsl, read)).toEqual({ ssl: { ca: ['CA'], cert: 'CERT\nLINE', key: 'KEY' }, sasl: { mechanism: 'scram-sha-512', username: 'emo', password: 'p"w\\d' } });
    expect(kafkajsSecurity({ protocol: 'SSL', sasl: null, ssl: { caFile: null, certFile: null, keyFile: null } }, read)).toEqual({ ssl: true });
    expect(kafkajsSecurity({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' }, ssl: null }, read)).toEqual({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
  });

  it('Java: protocol, JAAS line with escaped quotes, PEM trust store by location and key store inline', () => {
    expect(javaClientSecurity(saslSsl, read)).toEqual({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="emo" password="p\\"w\\\\d";',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': '/ca.pem',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.certificate.chain': 'CERT\nLINE',
      'ssl.keystore.key': 'KEY',
    });
    expect(javaClientSecurity({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' }, ssl: null }, read)['sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
    );
  });

  it('properties text escapes what java.util.Properties would misread', () => {
    expect(propertiesText({ 'a.b': 'x=y:z\nw', 'c d': 'é\\' })).toBe('a.b=x\\=y\\:z\\nw\nc\\ d=\\u00e9\\\\\n');
  });
});
