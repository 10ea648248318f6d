import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { createBenefitRecordsRepository, type BenefitRecordsRepository } from './benefit-records.js';
import { createCyclesRepository, type CyclesRepository } from './cycles.js';
import { createEmployeesRepository, type EmployeesRepository } from './employees.js';
import { createIngestRepository, type IngestRepository } from './ingest.js';
import { createGatherRepository, type GatherRepository } from './gather.js';
import { createLeasesRepository, type LeasesRepository } from './leases.js';
import { createOutboundFilesRepository, type OutboundFilesRepository } from './outbound-files.js';
import { createRetentionRepository, type RetentionRepository } from './retention.js';
import { createRunsRepository, type RunsRepository } from './runs.js';
import { createSchedulesRepository, type SchedulesRepository } from './schedules.js';
import { createSlaRepository, type SlaRepository } from './sla.js';
import { createRunResultsRepository, type RunResultsRepository } from './run-results.js';
import { createPlatformSettingsRepository, type PlatformSettingsRepository } from './platform-settings.js';
import { createTenantsRepository, type TenantsRepository } from './tenants.js';
import { createTransfersRepository, type TransfersRepository } from './transfers.js';

/**
 * Every repository, bound to one transaction. One file per area; add yours here.
 */
export interface Repositories {
  tenants: TenantsRepository;
  platformSettings: PlatformSettingsRepository;
  employees: EmployeesRepository;
  ingest: IngestRepository;
  benefitRecords: BenefitRecordsRepository;
  gather: GatherRepository;
  runs: RunsRepository;
  runResults: RunResultsRepository;
  cycles: CyclesRepository;
  leases: LeasesRepository;
  outboundFiles: OutboundFilesRepository;
  transfers: TransfersRepository;
  schedules: SchedulesRepository;
  sla: SlaRepository;
  retention: RetentionRepository;
}

export function createRepositories(db: Kysely<DB>): Repositories {
  return {
    tenants: createTenantsRepository(db),
    platformSettings: createPlatformSettingsRepository(db),
    employees: createEmployeesRepository(db),
    ingest: createIngestRepository(db),
    benefitRecords: createBenefitRecordsRepository(db),
    gather: createGatherRepository(db),
    runs: createRunsRepository(db),
    runResults: createRunResultsRepository(db),
    cycles: createCyclesRepository(db),
    leases: createLeasesRepository(db),
    outboundFiles: createOutboundFilesRepository(db),
    transfers: createTransfersRepository(db),
    schedules: createSchedulesRepository(db),
    sla: createSlaRepository(db),
    retention: createRetentionRepository(db),
  };
}
