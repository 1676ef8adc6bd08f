// A/B variants of the bench's components (ingest-ab, api-cost, idle-ab): `name=KEY=VALUE,KEY=VALUE`, the name and
// the environment its server or platform runs with (`name=` or `name`: no changes).
export interface Variant {
  name: string;
  env: Record<string, string>;
}

export function parseVariant(spec: string): Variant {
  const i = spec.indexOf('=');
  const name = i < 0 ? spec : spec.slice(0, i);
  const env: Record<string, string> = {};
  for (const kv of (i < 0 ? '' : spec.slice(i + 1)).split(',').filter(Boolean)) {
    const j = kv.indexOf('=');
    env[kv.slice(0, j)] = kv.slice(j + 1);
  }
  return { name, env };
}
