import { z } from 'zod';

export const SERVICE_NAMES = ['hris', 'roles', 'payroll', 'elections', 'leave'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const share = z.number().min(0).max(1);
const ms = z.number().int().min(0).max(600_000);

/** Fault and latency knobs of one simulated service; settable at start and through `POST /admin`. */
export const Knobs = z.object({
  latencyMs: ms,
  jitterMs: ms,
  errorRate: share,
  /** Requests per second for the whole service (all replicas); 0 = unlimited. */
  rateLimit: z.number().min(0),
  slowTailRate: share,
  slowTailMs: ms,
  malformedRate: share,
  outOfUnitRate: share,
  down: z.boolean(),
}).strict();
export type Knobs = z.infer<typeof Knobs>;

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 100, jitterMs: 20, errorRate: 0, rateLimit: 0, slowTailRate: 0, slowTailMs: 2000,
  malformedRate: 0, outOfUnitRate: 0, down: false,
};

export const KnobsPatch = Knobs.partial();
export type KnobsPatch = z.infer<typeof KnobsPatch>;
