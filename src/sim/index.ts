/** The simulators' public surface (docs/simulators.md). */
export { createEnterprise, generateEmployees, employeeId, DEFAULT_AS_OF, type Enterprise, type EnterpriseOptions, type EmployeeRecord } from './enterprise.js';
export { startSimulators, DEFAULT_EMPLOYEES, DEFAULT_SEED, type Simulators, type SimulatorOptions, type ServiceUrls } from './start-simulators.js';
export { spawnSimulators, type SpawnedSimulators } from './spawn-simulators.js';
export { SERVICE_NAMES, DEFAULT_KNOBS, Knobs, type ServiceName, type KnobsPatch } from './knobs.js';
export { BATCH_LIMITS } from './data-routes.js';
