// The supervisor's memory of recent windows: their ids, to drop repeats (the Spark Kafka sink is
// at-least-once), and the windows themselves, to seed a restarted cluster's history. Kept in arrival order
// for `keepMs` (clock time) and at most `maxEntries`.
import { idOfRecord, type WindowRecord } from '../domain/window.ts';

export class RecentWindows {
  private order: { id: string; window: WindowRecord; at: number }[] = [];
  private head = 0;
  private seen = new Set<string>();
  constructor(private readonly keepMs: number, private readonly maxEntries = 100_000) {}

  /** Whether a window with this one's id was seen within the memory. */
  has(window: WindowRecord): boolean {
    return this.seen.has(idOfRecord(window));
  }

  /** Remember a window; false if its id was already seen (a duplicate to drop). */
  add(window: WindowRecord, at: number): boolean {
    const id = idOfRecord(window);
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.order.push({ id, window, at });
    this.prune(at);
    return true;
  }

  prune(now: number): void {
    const cutoff = now - this.keepMs;
    while (this.head < this.order.length && (this.order[this.head]!.at < cutoff || this.order.length - this.head > this.maxEntries)) {
      this.seen.delete(this.order[this.head]!.id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  since(from: number): { window: WindowRecord; at: number }[] {
    return this.order.slice(this.head).filter((e) => e.at >= from);
  }
}
