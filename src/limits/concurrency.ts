// Things one key holds at once (open SSE streams per client address), with a cap per key.

export class PerKeyCount {
  private readonly held = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Count one more for `key` unless it already holds `max`; false: refused (nothing counted). */
  acquire(key: string): boolean {
    const n = this.held.get(key) ?? 0;
    if (n >= this.max) return false;
    this.held.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.held.get(key) ?? 0;
    if (n <= 1) this.held.delete(key);
    else this.held.set(key, n - 1);
  }

  count(key: string): number {
    return this.held.get(key) ?? 0;
  }

  /** Keys holding at least one. */
  get size(): number {
    return this.held.size;
  }
}
