import { SERVICE_NAMES, type ServiceName } from './knobs.js';

/**
 * Each service's view of every employee's version. They move together (`mode: 'all'`) unless a torn
 * change bumps one service first; `settle()` then brings the others level, as a real estate of
 * services converges after an update lands in the system of record first.
 */
export class VersionBook {
  private readonly byService: Record<ServiceName, Int32Array>;
  private readonly pending = new Set<number>();

  constructor(readonly size: number) {
    this.byService = Object.fromEntries(SERVICE_NAMES.map((s) => [s, new Int32Array(size).fill(1)])) as Record<ServiceName, Int32Array>;
  }

  of(service: ServiceName, index: number): number {
    return this.byService[service][index]!;
  }

  private highest(index: number): number {
    let m = 0;
    for (const s of SERVICE_NAMES) m = Math.max(m, this.byService[s][index]!);
    return m;
  }

  /** Bumps the employees to their next version everywhere, or in `service` only when torn. */
  change(indexes: Iterable<number>, mode: 'all' | 'torn', service: ServiceName): void {
    for (const i of indexes) {
      const next = this.highest(i) + 1;
      if (mode === 'all') {
        for (const s of SERVICE_NAMES) this.byService[s][i] = next;
        this.pending.delete(i);
      } else {
        this.byService[service][i] = next;
        this.pending.add(i);
      }
    }
  }

  /** Completes pending torn changes: every service catches up with the newest version. */
  settle(): number {
    const n = this.pending.size;
    for (const i of this.pending) {
      const m = this.highest(i);
      for (const s of SERVICE_NAMES) this.byService[s][i] = m;
    }
    this.pending.clear();
    return n;
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}
