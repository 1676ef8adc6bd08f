// The platform's logger: pino, one JSON object per line on stderr (what a log shipper reads), or pino-pretty's
// colored lines when stderr is a terminal (LOG_FORMAT=auto; json or pretty to force one). Every line names
// the part that speaks (`part`); `fields` carry structured values (ids, counts, timings). Level from Config.
// Client-supplied strings never go into a message: log route patterns, codes and sizes, not raw paths or bodies.
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'auto' | 'json' | 'pretty';
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** The same logger speaking as another part (replaces `part`, never nests). */
  child(part: string): Logger;
  isLevelEnabled(level: Level): boolean;
  /**
   * The same logger for one line per request (the access log): in JSON, its lines go to stderr through a
   * write that does not block the event loop (pino's asynchronous destination: lines queue while a write is
   * under way and go out together; flushed on exit). Every other line is written synchronously, as it
   * happens, so a crash never loses the error that explains it. A synchronous write per request cost ~12% of
   * the API's CPU per POST /v1/emoji (bench/components/ingest-ab.ts --prof, LOG_LEVEL=info). Absent: `child`.
   */
  bulk?(part: string): Logger;
}

export interface LoggerOptions {
  format?: LogFormat;
  /** Where lines go (tests); default stderr. A pretty format ignores it unless it is a TTY check. */
  destination?: DestinationStream;
  /** Whether the destination is a terminal (default: process.stderr.isTTY). */
  tty?: boolean;
  /** Fields on every line, kept by every child (e.g. the API worker's index). */
  fields?: Fields;
}

function wrap(root: Pino, part: string, bulkRoot?: Pino): Logger {
  const p = root.child({ part });
  const at = (level: Level) => (msg: string, fields?: Fields) => (fields ? p[level](fields, msg) : p[level](msg));
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (other) => wrap(root, other, bulkRoot),
    isLevelEnabled: (level) => p.isLevelEnabled(level),
    bulk: (other) => wrap(bulkRoot ?? root, other),
  };
}

export function createLogger(level: Level = 'info', part = 'emostream', opts: LoggerOptions = {}): Logger {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const format = opts.format ?? 'auto';
  const usePretty = format === 'pretty' || (format === 'auto' && tty);
  const destination = usePretty
    ? pretty({
        destination: opts.destination ?? 2,
        sync: true,
        colorize: tty,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,part',
        messageFormat: '[{part}] {msg}',
      })
    : (opts.destination ?? pino.destination({ dest: 2, sync: true }));
  const options = {
    level,
    base: { pid: process.pid, ...opts.fields },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const root = pino(options, destination);
  // the access log's stream: asynchronous on stderr in JSON, at most 16 MiB queued behind a stalled reader
  // (beyond that lines are dropped rather than the API stalled); a given destination (tests) or pretty: the same
  const bulkRoot = usePretty || opts.destination ? root : pino(options, pino.destination({ dest: 2, sync: false, maxLength: 16 << 20 }));
  return wrap(root, part, bulkRoot);
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
  isLevelEnabled: () => false,
};
