import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import { createEmployeesRepository, type EmployeesRepository } from './employees.js';
import { createGatherRepository, type GatherRepository } from './gather.js';
import { createTenantsRepository, type TenantsRepository } from './tenants.js';
import { createTransfersRepository, type TransfersRepository } from './transfers.js';

/**
 * Every repository, bound to one transaction. One file per area; add yours here.
 */
export interface Repositories {
  tenants: TenantsRepository;
  employees: EmployeesRepository;
  gather: GatherRepository;
  transfers: TransfersRepository;
}

export function createRepositories(db: Kysely<DB>): Repositories {
  return {
    tenants: createTenantsRepository(db),
    employees: createEmployeesRepository(db),
    gather: createGatherRepository(db),
    transfers: createTransfersRepository(db),
  };
}
