import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KnobsPatch, SERVICE_NAMES, type ServiceName } from './knobs.js';
import type { ReplicaRef, ServiceHost } from './service-host.js';

/** What the admin routes may do to the whole simulator set (changes span services; replicas are per service). */
export interface SimulatorControl {
  change(req: { employeeIds?: string[]; share?: number; mode: 'all' | 'torn'; service: ServiceName }): { changed: number; employeeIds: string[] };
  settle(): number;
  pendingTorn(): number;
  replicas(service: ServiceName): Array<{ port: number; url: string; up: boolean }>;
  kill(service: ServiceName, port: number): Promise<boolean>;
  restart(service: ServiceName, port: number): Promise<boolean>;
}

const ChangeBody = z.object({
  employeeIds: z.array(z.string()).min(1).optional(),
  share: z.number().min(0).max(1).optional(),
  mode: z.enum(['all', 'torn']),
  service: z.enum(SERVICE_NAMES).optional(),
}).strict().refine((b) => (b.employeeIds === undefined) !== (b.share === undefined), 'give exactly one of employeeIds and share');

const REPLY_IDS_CAP = 1000;

/** Health, stats and admin routes: never delayed, faulted or rate limited (health answers 503 while down). */
export function registerAdminRoutes(app: FastifyInstance, host: ServiceHost, replica: ReplicaRef, control: SimulatorControl): void {
  app.get('/health', async (_req, reply) =>
    host.faults.knobs.down ? reply.code(503).send({ ok: false, service: host.name, port: replica.port }) : { ok: true, service: host.name, port: replica.port });
  app.get('/stats', async () => ({ service: host.name, ...host.stats.toJSON() }));
  app.post('/admin/stats/reset', async () => {
    host.stats.reset();
    return { ok: true };
  });
  app.get('/admin', async () => ({
    service: host.name, knobs: host.faults.knobs, replicas: control.replicas(host.name), pendingTorn: control.pendingTorn(),
  }));
  app.post('/admin', async (req, reply) => {
    const patch = KnobsPatch.strict().safeParse(req.body ?? {});
    if (!patch.success) return reply.code(400).send({ error: 'invalid_knobs', issues: patch.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { service: host.name, knobs: host.faults.update(patch.data) };
  });
  app.post('/admin/change', async (req, reply) => {
    const body = ChangeBody.safeParse(req.body ?? {});
    if (!body.success) return reply.code(400).send({ error: 'invalid_change', issues: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    try {
      const out = control.change({ ...body.data, service: body.data.service ?? host.name });
      return { mode: body.data.mode, changed: out.changed, employeeIds: out.employeeIds.slice(0, REPLY_IDS_CAP) };
    } catch (e) {
      return reply.code(400).send({ error: 'invalid_change', issues: [(e as Error).message] });
    }
  });
  app.post('/admin/settle', async () => ({ settled: control.settle() }));
  app.post<{ Params: { port: string; action: string } }>('/admin/replicas/:port/:action', async (req, reply) => {
    const target = Number(req.params.port);
    const { action } = req.params;
    if (action !== 'kill' && action !== 'restart') return reply.code(404).send({ error: 'unknown_action' });
    if (!control.replicas(host.name).some((r) => r.port === target)) return reply.code(404).send({ error: 'unknown_replica', port: target });
    if (action === 'restart') return { port: target, up: await control.restart(host.name, target) };
    // Killing the replica that serves this very call: answer first, then cut.
    reply.raw.once('finish', () => void control.kill(host.name, target));
    return { port: target, up: false };
  });
}
