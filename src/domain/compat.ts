// The compatibility rules for clients of the original Python/Flask project (`POST /emoji` with
// `{"user_id", "emoji_type", "timestamp"}`; README "Coming from the original project"). They are a short,
// closed list of rewrites of the original body into the /v1 contract, and nothing more:
//   1. a whole-number `user_id` becomes its decimal string (7 → "7");
//   2. a whole-number `timestamp` in [0, 10^11) is epoch SECONDS (Python's `int(time.time())`);
//      10^11 and above stays epoch milliseconds, as in /v1;
//   3. an ISO-8601 `timestamp` without a zone (Python's `datetime.now().isoformat()`) is read as wall time
//      in the configured zone (COMPAT_TIMEZONE, an IANA name); a wall time that a daylight-saving change
//      skips or repeats takes the offset in force before the change (as Python's zoneinfo with fold=0);
//   4. `match_id` defaults as in /v1 (nothing to do here: the /v1 validator does it).
// The result is handed to the /v1 validator (event.ts), so every other check and every refusal is /v1's
// own: the same codes and messages. Pure: no clock, no I/O.

export interface CompatRules {
  /** IANA time zone in which a timestamp without a zone is read (config COMPAT_TIMEZONE). */
  timeZone: string;
}

/** A whole-number timestamp below this is epoch seconds (10^11 s is the year 5138; 10^11 ms is 1973). */
export const EPOCH_SECONDS_BELOW = 100_000_000_000;

// /v1's ISO form (event.ts) without the zone.
const ZONELESS_ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;
const LONG_OFFSET_RE = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;
const DAY_MS = 86_400_000;

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at instant `t`, in minutes (Intl: no time zone data of our own). */
function offsetAt(timeZone: string, t: number): number {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formats.set(timeZone, f);
  }
  const name = f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = LONG_OFFSET_RE.exec(name);
  if (!m) return NaN;
  if (!m[1]) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
  return m[1] === '-' ? -minutes : minutes;
}

/** `s` (zone-less ISO) with the zone's offset appended, or undefined when `s` is not such a string. */
function withZone(s: string, timeZone: string): string | undefined {
  if (!ZONELESS_ISO_RE.test(s)) return undefined;
  // the wall time as if it were UTC, parsed exactly as /v1 parses a zoned string
  const wall = Date.parse(`${s}Z`);
  if (Number.isNaN(wall)) return undefined;
  if (timeZone === 'UTC') return `${s}Z`;
  // The offset before and after any change near this wall time; take the one that maps the wall time back
  // onto itself, the earlier one first (a repeated hour: its first pass; a skipped hour: neither maps, take
  // the earlier offset).
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  const maps = (o: number) => offsetAt(timeZone, wall - o * 60_000) === o;
  const off = maps(before) || !maps(after) ? before : after;
  if (Number.isNaN(off) || Math.abs(off) > 18 * 60) return undefined;
  const whole = Math.round(off);
  if (whole === 0) return `${s}Z`;
  const abs = Math.abs(whole);
  return `${s}${whole < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Rewrite an original-project body into a /v1 body by the rules above. Anything the rules do not cover is
 * returned as it was (a non-object, other fields, other shapes), for the /v1 validator to judge.
 */
export function fromOriginal(raw: unknown, rules: CompatRules): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const o = raw as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const set = (k: string, v: unknown) => {
    out ??= { ...o };
    out[k] = v;
  };

  if (typeof o.user_id === 'number' && Number.isSafeInteger(o.user_id)) set('user_id', String(o.user_id));

  const ts = o.timestamp;
  if (typeof ts === 'number') {
    if (Number.isSafeInteger(ts) && ts >= 0 && ts < EPOCH_SECONDS_BELOW) set('timestamp', ts * 1000);
  } else if (typeof ts === 'string') {
    const zoned = withZone(ts, rules.timeZone);
    if (zoned !== undefined) set('timestamp', zoned);
  }
  return out ?? o;
}
