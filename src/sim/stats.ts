/** Calls served by one service, over all its replicas: per route pattern, per status, per port. */
export class ServiceStats {
  total = 0;
  statuses: Record<string, number> = {};
  endpoints: Record<string, number> = {};
  replicas: Record<string, number> = {};

  record(endpoint: string, status: number, port: number): void {
    this.total++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    this.endpoints[endpoint] = (this.endpoints[endpoint] ?? 0) + 1;
    this.replicas[port] = (this.replicas[port] ?? 0) + 1;
  }

  reset(): void {
    this.total = 0;
    this.statuses = {};
    this.endpoints = {};
    this.replicas = {};
  }

  toJSON(): object {
    return { total: this.total, statuses: this.statuses, endpoints: this.endpoints, replicas: this.replicas };
  }
}
