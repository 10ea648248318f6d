import { Pool } from 'undici';

export interface Replica {
  readonly origin: string;
  readonly pool: Pool;
  healthy: boolean;
  consecutiveFailures: number;
  ejectedAt: number;
}

export interface ReplicaSetOptions {
  /** Consecutive 5xx answers from one replica that take it out of rotation. */
  ejectAfter: number;
  /** Health-check period for every replica (ms); ejected ones come back when `/health` answers 200. */
  healthIntervalMs: number;
  healthPath: string;
  connectionsPerReplica: number;
  onHealthCheck?: (origin: string, ok: boolean) => void;
}

/**
 * A service's replicas in health-aware round-robin. A replica is skipped after a connection error,
 * a timeout or `ejectAfter` consecutive 5xx, or when its health check fails, and re-admitted when
 * the health check passes again. With every replica out, the one ejected longest ago is tried
 * anyway, so the service-level circuit breaker (not this set) decides that the service is down.
 */
export class ReplicaSet {
  readonly replicas: Replica[];
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(origins: readonly string[], private readonly opts: ReplicaSetOptions) {
    if (origins.length === 0) throw new RangeError('a service needs at least one replica URL');
    this.replicas = origins.map((origin) => ({
      origin,
      pool: new Pool(origin, { connections: opts.connectionsPerReplica, pipelining: 1, keepAliveTimeout: 30_000 }),
      healthy: true,
      consecutiveFailures: 0,
      ejectedAt: 0,
    }));
  }

  get healthyCount(): number {
    return this.replicas.filter((r) => r.healthy).length;
  }

  pick(): Replica {
    this.startHealthChecks();
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n]!;
      if (r.healthy) {
        this.next = (this.next + i + 1) % n;
        return r;
      }
    }
    return this.replicas.reduce((a, b) => (a.ejectedAt <= b.ejectedAt ? a : b));
  }

  succeeded(r: Replica): void {
    r.consecutiveFailures = 0;
  }

  /** `hard`: the replica did not answer at all (refused, reset, timed out). */
  failed(r: Replica, hard: boolean): void {
    r.consecutiveFailures++;
    if (hard || r.consecutiveFailures >= this.opts.ejectAfter) this.eject(r);
  }

  eject(r: Replica): void {
    if (r.healthy) {
      r.healthy = false;
      r.ejectedAt = Date.now();
    }
  }

  /** One round of health checks over every replica. */
  async checkHealth(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.replicas.map(async (r) => {
        const ok = await probe(r, this.opts.healthPath, Math.max(250, Math.min(this.opts.healthIntervalMs, 2000)));
        this.opts.onHealthCheck?.(r.origin, ok);
        if (ok && !r.healthy) {
          r.healthy = true;
          r.consecutiveFailures = 0;
        } else if (!ok) {
          this.eject(r);
        }
      }));
    } finally {
      this.checking = false;
    }
  }

  private startHealthChecks(): void {
    if (this.timer || this.opts.healthIntervalMs <= 0) return;
    this.timer = setInterval(() => { void this.checkHealth(); }, this.opts.healthIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.replicas.map((r) => r.pool.destroy().catch(() => {})));
  }
}

async function probe(r: Replica, path: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await r.pool.request({ method: 'GET', path, signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}
