export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe is let through. */
  cooldownMs: number;
  now?: () => number;
}

/**
 * One per service. Closed: calls pass and consecutive failures are counted. Open: calls are refused
 * at once until the cool-down ends. Half-open: exactly one probe goes out; the others wait for its
 * verdict instead of being refused, so a batch retried just after recovery does not fail on the
 * breaker's own caution.
 */
export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probe: Promise<void> | null = null;
  private settleProbe: (() => void) | null = null;
  private tripsValue = 0;
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.stateValue;
  }

  /** Times the circuit went from closed (or half-open) to open. */
  get trips(): number {
    return this.tripsValue;
  }

  /** Remaining cool-down in ms (0 unless open). */
  retryInMs(): number {
    return this.stateValue === 'open' ? Math.max(0, this.openedAt + this.opts.cooldownMs - this.now()) : 0;
  }

  /**
   * Resolves when the call may go out (`probe` true for the half-open probe); resolves `false` when
   * the circuit is open and the call must be refused.
   */
  async admit(): Promise<{ allowed: boolean; probe: boolean }> {
    for (;;) {
      if (this.stateValue === 'closed') return { allowed: true, probe: false };
      if (this.stateValue === 'open') {
        if (this.now() - this.openedAt < this.opts.cooldownMs) return { allowed: false, probe: false };
        this.stateValue = 'half-open';
      }
      if (!this.probe) {
        this.probe = new Promise<void>((resolve) => { this.settleProbe = resolve; });
        return { allowed: true, probe: true };
      }
      await this.probe;
    }
  }

  success(): void {
    this.failures = 0;
    this.stateValue = 'closed';
    this.endProbe();
  }

  failure(): void {
    this.failures++;
    if (this.stateValue === 'half-open' || (this.stateValue === 'closed' && this.failures >= this.opts.failureThreshold)) {
      this.stateValue = 'open';
      this.openedAt = this.now();
      this.tripsValue++;
    }
    this.endProbe();
  }

  /** A probe that ended with neither verdict (e.g. a 429) lets the next waiter probe again. */
  release(probe: boolean): void {
    if (probe && this.stateValue === 'half-open') this.endProbe();
  }

  private endProbe(): void {
    const settle = this.settleProbe;
    this.probe = null;
    this.settleProbe = null;
    settle?.();
  }
}
