import type { EmployeeRecord } from './derive.js';
import type { Enterprise } from './enterprise.js';
import { breakRecord, type FaultInjector } from './faults.js';
import type { ServiceName } from './knobs.js';
import type { ServiceStats } from './stats.js';
import type { VersionBook } from './versions.js';

/** One listening replica; its port is known once it listens (port 0 = ephemeral). */
export interface ReplicaRef { port: number }

/** Everything one simulated service needs, shared by all of its replicas. */
export class ServiceHost {
  constructor(
    readonly name: ServiceName,
    readonly enterprise: Enterprise,
    readonly versions: VersionBook,
    readonly faults: FaultInjector,
    readonly stats: ServiceStats,
  ) {}

  /** The employee as this service currently sees it (its own version of them). */
  record(index: number): EmployeeRecord {
    return this.enterprise.record(index, this.versions.of(this.name, index));
  }

  /** The record, or a copy with a broken field when the malformed knob fires for it. */
  maybeBreak<T extends object>(record: T): T {
    return this.faults.malformed() ? breakRecord(record, () => this.faults.draw()) : record;
  }

  /** An employee of another unit than `unitIndex` (for the out-of-unit knob), or null if there is none. */
  strayFrom(unitIndex: number): number | null {
    const { units, members } = this.enterprise.org;
    if (units.length < 2) return null;
    let u = Math.floor(this.faults.draw() * (units.length - 1));
    if (u >= unitIndex) u += 1;
    const m = members[u]!;
    return m[Math.floor(this.faults.draw() * m.length)]!;
  }
}
