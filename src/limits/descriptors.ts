// How many connections the HTTP server may hold. The process shares its file table (ulimit -n) with the
// in-process Kafka Streams JVM (RocksDB files, broker sockets), the Kafka clients and the log files: the
// server keeps `reserve` descriptors out of the clients' reach, and SSE streams stop `ingestHeadroom`
// connections below that, so when viewers fill the table new viewers are refused while ingest requests
// (and Kafka, and the JVM) still get descriptors.
import { readFileSync } from 'node:fs';

/** The soft limit on open files of this process (/proc/self/limits), or null where it cannot be read. */
export function openFilesLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(read());
    if (!m) return null;
    return m[1] === 'unlimited' ? null : Number(m[1]);
  } catch {
    return null;
  }
}

export interface ConnectionBudget {
  /** server.maxConnections (0: no cap, only when the descriptor limit is unknown and nothing was set). */
  maxConnections: number;
  /** Concurrent SSE streams of the whole instance. */
  maxStreams: number;
}

export function connectionBudget(o: {
  fdLimit: number | null;
  reserve: number;
  ingestHeadroom: number;
  maxConnections: number | 'auto';
  maxStreams: number | 'auto';
}): ConnectionBudget {
  const fromFds = o.fdLimit === null ? 0 : Math.max(1, o.fdLimit - o.reserve);
  const maxConnections = o.maxConnections === 'auto' ? fromFds : o.fdLimit === null ? o.maxConnections : Math.min(o.maxConnections, fromFds);
  const maxStreams =
    o.maxStreams !== 'auto' ? (maxConnections > 0 ? Math.min(o.maxStreams, maxConnections) : o.maxStreams) : maxConnections > 0 ? Math.max(1, maxConnections - o.ingestHeadroom) : 0;
  return { maxConnections, maxStreams };
}
