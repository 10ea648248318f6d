/** What became of one HTTP attempt. */
export type CallOutcome =
  | 'ok' | 'not_found' | 'client_error' | 'server_error' | 'rate_limited' | 'timeout'
  | 'connection_error' | 'invalid' | 'circuit_open';

export interface CallCount { service: string; endpoint: string; outcome: CallOutcome; count: number }

/**
 * Attempts counted by service, endpoint (route pattern, never a concrete URL with ids) and outcome.
 * `circuit_open` counts calls refused locally: they never reached the network.
 */
export class CallCounters {
  private readonly counts = new Map<string, CallCount>();

  add(service: string, endpoint: string, outcome: CallOutcome, n = 1): void {
    const key = `${service}\u0000${endpoint}\u0000${outcome}`;
    const c = this.counts.get(key);
    if (c) c.count += n;
    else this.counts.set(key, { service, endpoint, outcome, count: n });
  }

  list(): CallCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }

  /** Attempts that went over the network, optionally filtered. */
  sent(filter: (c: CallCount) => boolean = () => true): number {
    let n = 0;
    for (const c of this.counts.values()) if (c.outcome !== 'circuit_open' && filter(c)) n += c.count;
    return n;
  }

  total(filter: (c: CallCount) => boolean): number {
    let n = 0;
    for (const c of this.counts.values()) if (filter(c)) n += c.count;
    return n;
  }
}
