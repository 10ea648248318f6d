import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { createCyclesRepository, type CyclesRepository } from './cycles.js';
import { createEmployeesRepository, type EmployeesRepository } from './employees.js';
import { createGatherRepository, type GatherRepository } from './gather.js';
import { createLeasesRepository, type LeasesRepository } from './leases.js';
import { createRunsRepository, type RunsRepository } from './runs.js';
import { createTenantsRepository, type TenantsRepository } from './tenants.js';
import { createTransfersRepository, type TransfersRepository } from './transfers.js';

/**
 * Every repository, bound to one transaction. One file per area; add yours here.
 */
export interface Repositories {
  tenants: TenantsRepository;
  employees: EmployeesRepository;
  gather: GatherRepository;
  runs: RunsRepository;
  cycles: CyclesRepository;
  leases: LeasesRepository;
  transfers: TransfersRepository;
}

export function createRepositories(db: Kysely<DB>): Repositories {
  return {
    tenants: createTenantsRepository(db),
    employees: createEmployeesRepository(db),
    gather: createGatherRepository(db),
    runs: createRunsRepository(db),
    cycles: createCyclesRepository(db),
    leases: createLeasesRepository(db),
    transfers: createTransfersRepository(db),
  };
}
