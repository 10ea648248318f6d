import { VendorflowError } from '../../shared/errors.js';
import { fullJitterDelay, parseRetryAfter, sleep } from './backoff.js';
import type { CallCounters, CallOutcome } from './call-counters.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ReplicaSet, type Replica } from './replica-set.js';
import type { Semaphore } from './semaphore.js';
import { Semaphore as SemaphoreImpl } from './semaphore.js';
import { newTraceId, traceparent } from './traceparent.js';

export interface ServiceClientOptions {
  service: string;
  replicas: readonly string[];
  /** Sent on every call (the resolved auth header, for instance). */
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Attempts for 5xx, timeouts, connection errors and unreadable bodies (the first included). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** 429 waits per call (they do not use up attempts); a longer `Retry-After` than the cap fails the call. */
  maxRateLimitWaits: number;
  maxRetryAfterMs: number;
  concurrency: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  replicaEjectAfter: number;
  healthIntervalMs: number;
  healthPath: string;
}

export interface CallRequest {
  method?: 'GET' | 'POST';
  /** Concrete path with query, e.g. `/employees/E1/compensation`. */
  path: string;
  /** Route pattern for the counters, e.g. `/employees/:id/compensation`. */
  endpoint: string;
  body?: unknown;
  /** Trace id of the surrounding unit of work; a fresh one per call when absent. */
  traceId?: string;
  /** Also count this call's attempts here (e.g. one batch's own tally). */
  counters?: CallCounters;
}

export interface CallResponse {
  status: number;
  /** Parsed JSON (null for an empty body). */
  body: unknown;
  attempts: number;
}

/** A call that failed for good; `outcome` is the last attempt's. Retryable later at the batch level. */
export class ServiceCallError extends VendorflowError {
  constructor(readonly service: string, readonly endpoint: string, readonly outcome: CallOutcome, message: string, readonly status?: number) {
    super(outcome === 'circuit_open' ? 'CIRCUIT_OPEN' : outcome === 'invalid' ? 'SERVICE_RESPONSE_INVALID' : 'SERVICE_UNAVAILABLE', message);
    this.name = 'ServiceCallError';
  }
}

export interface ServiceClientStats {
  retries: number;
  rateLimitWaits: number;
  breakerTrips: number;
  breakerState: string;
  healthyReplicas: number;
}

/**
 * One internal service: round-robin over healthy replicas, a concurrency limit, a circuit breaker,
 * retries with full-jitter backoff, 429 honoured with Retry-After, a traceparent on every attempt and
 * every attempt counted. Only idempotent reads go through here, so any attempt may be repeated.
 */
export class ServiceClient {
  readonly breaker: CircuitBreaker;
  readonly replicaSet: ReplicaSet;
  private readonly limit: Semaphore;
  private retries = 0;
  private rateLimitWaits = 0;

  constructor(readonly opts: ServiceClientOptions, private readonly counters: CallCounters, private readonly inFlight?: Semaphore) {
    this.breaker = new CircuitBreaker(opts.breaker);
    this.limit = new SemaphoreImpl(opts.concurrency);
    this.replicaSet = new ReplicaSet(opts.replicas, {
      ejectAfter: opts.replicaEjectAfter,
      healthIntervalMs: opts.healthIntervalMs,
      healthPath: opts.healthPath,
      connectionsPerReplica: opts.concurrency,
    });
  }

  stats(): ServiceClientStats {
    return {
      retries: this.retries, rateLimitWaits: this.rateLimitWaits, breakerTrips: this.breaker.trips,
      breakerState: this.breaker.state, healthyReplicas: this.replicaSet.healthyCount,
    };
  }

  async call(req: CallRequest): Promise<CallResponse> {
    const { service, maxAttempts } = this.opts;
    const traceId = req.traceId ?? newTraceId();
    let attempts = 0;
    let waits = 0;
    for (;;) {
      const gate = await this.breaker.admit();
      if (!gate.allowed) {
        this.counters.add(service, req.endpoint, 'circuit_open');
        req.counters?.add(service, req.endpoint, 'circuit_open');
        throw new ServiceCallError(service, req.endpoint, 'circuit_open',
          `${service} ${req.endpoint}: circuit open after repeated failures (retry in ${this.breaker.retryInMs()} ms)`);
      }
      attempts++;
      const r = await this.attempt(req, traceId);
      this.counters.add(service, req.endpoint, r.outcome);
      req.counters?.add(service, req.endpoint, r.outcome);
      let delay: number;
      switch (r.outcome) {
        case 'ok': case 'not_found':
          this.breaker.success();
          return { status: r.status!, body: r.body, attempts };
        case 'client_error':
          this.breaker.success(); // the service answered; the request was wrong
          throw new ServiceCallError(service, req.endpoint, r.outcome, `${service} ${req.endpoint}: HTTP ${r.status} ${r.detail}`, r.status);
        case 'rate_limited': {
          this.breaker.release(gate.probe);
          attempts--; // a 429 is the service asking us to wait, not a failure
          waits++;
          this.rateLimitWaits++;
          const asked = r.retryAfterMs ?? fullJitterDelay(waits, this.opts.backoffBaseMs, this.opts.backoffCapMs);
          if (waits > this.opts.maxRateLimitWaits || asked > this.opts.maxRetryAfterMs) {
            throw new ServiceCallError(service, req.endpoint, r.outcome,
              `${service} ${req.endpoint}: rate limited (${waits} waits, Retry-After ${asked} ms)`, 429);
          }
          // A little jitter on top so everyone told "1 s" does not come back in the same millisecond.
          delay = asked + Math.floor(Math.random() * Math.min(250, this.opts.backoffBaseMs * 4));
          break;
        }
        case 'invalid':
          this.breaker.release(gate.probe);
          delay = fullJitterDelay(attempts, this.opts.backoffBaseMs, this.opts.backoffCapMs);
          break;
        default: {
          // A replica that did not answer while others are healthy is the replica's problem, not the service's.
          const hard = r.outcome === 'connection_error' || r.outcome === 'timeout';
          if (hard && this.replicaSet.healthyCount > 0) this.breaker.release(gate.probe);
          else this.breaker.failure();
          delay = hard && this.replicaSet.healthyCount > 0 ? 0 : fullJitterDelay(attempts, this.opts.backoffBaseMs, this.opts.backoffCapMs);
        }
      }
      if (attempts >= maxAttempts) {
        throw new ServiceCallError(service, req.endpoint, r.outcome,
          `${service} ${req.endpoint}: ${r.outcome.replace('_', ' ')} after ${attempts} attempts (${r.detail})`, r.status);
      }
      this.retries++;
      if (delay > 0) await sleep(delay);
    }
  }

  private async attempt(req: CallRequest, traceId: string): Promise<Attempt> {
    const releaseService = await this.limit.acquire();
    const releaseGlobal = this.inFlight ? await this.inFlight.acquire() : () => {};
    const replica = this.replicaSet.pick();
    try {
      return await this.send(replica, req, traceId);
    } finally {
      releaseGlobal();
      releaseService();
    }
  }

  private async send(replica: Replica, req: CallRequest, traceId: string): Promise<Attempt> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    const headers: Record<string, string> = {
      ...this.opts.headers, accept: 'application/json', traceparent: traceparent(traceId),
    };
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    let status: number;
    let text: string;
    let retryAfter: string | string[] | undefined;
    try {
      const res = await replica.pool.request({ method: req.method ?? 'GET', path: req.path, headers, body: payload, signal });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      text = await res.body.text();
    } catch (e) {
      const timedOut = signal.aborted;
      this.replicaSet.failed(replica, true);
      return { outcome: timedOut ? 'timeout' : 'connection_error', detail: timedOut ? `no answer within ${this.opts.timeoutMs} ms` : describe(e) };
    }
    if (status >= 500) {
      this.replicaSet.failed(replica, false);
      return { outcome: 'server_error', status, detail: `HTTP ${status}` };
    }
    this.replicaSet.succeeded(replica);
    if (status === 429) return { outcome: 'rate_limited', status, detail: 'HTTP 429', retryAfterMs: parseRetryAfter(retryAfter) };
    let body: unknown = null;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        return status < 400
          ? { outcome: 'invalid', status, detail: 'malformed JSON' }
          : { outcome: status === 404 ? 'not_found' : 'client_error', status, detail: `HTTP ${status}`, body: null };
      }
    }
    if (status === 404) return { outcome: 'not_found', status, detail: 'HTTP 404', body };
    if (status >= 400) return { outcome: 'client_error', status, detail: briefly(body), body };
    return { outcome: 'ok', status, detail: '', body };
  }

  close(): Promise<void> {
    return this.replicaSet.close();
  }
}

interface Attempt { outcome: CallOutcome; status?: number; detail: string; body?: unknown; retryAfterMs?: number | undefined }

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  return err.code ?? err.cause?.code ?? err.message ?? String(e);
}

function briefly(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text && text.length > 200 ? `${text.slice(0, 200)}...` : (text ?? '');
}
