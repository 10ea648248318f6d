import { createBullmqQueue, type BullmqOptions } from './bullmq-queue.js';
import { createInProcessQueue } from './in-process-queue.js';
import type { QueueEngine, QueueEvents, QueueOptions } from './port.js';

export type QueueTarget =
  | ({ engine: 'in-process' } & QueueOptions)
  | ({ engine: 'bullmq' } & BullmqOptions);

export function openQueue(target: QueueTarget, events: QueueEvents = {}): QueueEngine {
  return target.engine === 'bullmq' ? createBullmqQueue(target, events) : createInProcessQueue(target, events);
}
