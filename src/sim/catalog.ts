/**
 * The reference data the synthetic enterprise draws from: places, departments and their title ladders,
 * names (apostrophes, commas, accents and hyphens on purpose: they break naive CSV and fixed-width
 * writers), streets and benefit plans with their monthly costs.
 */

export interface Location {
  name: string;
  state: string;
  code: string;
  areaCodes: readonly string[];
  /** Home towns near the office, each with a postal-code prefix. */
  towns: ReadonlyArray<readonly [city: string, zipPrefix: string]>;
  weight: number;
}

export const LOCATIONS: readonly Location[] = [
  { name: 'Chicago', state: 'IL', code: 'CHI', areaCodes: ['312', '773', '630', '847'], weight: 0.4,
    towns: [['Chicago', '606'], ['Evanston', '602'], ['Oak Park', '603'], ['Naperville', '605'], ['Schaumburg', '601']] },
  { name: 'Austin', state: 'TX', code: 'AUS', areaCodes: ['512', '737'], weight: 0.25,
    towns: [['Austin', '787'], ['Round Rock', '786'], ['Cedar Park', '786'], ['Pflugerville', '786'], ['San Marcos', '786']] },
  { name: 'Boston', state: 'MA', code: 'BOS', areaCodes: ['617', '857', '781'], weight: 0.15,
    towns: [['Boston', '021'], ['Cambridge', '021'], ['Somerville', '021'], ['Quincy', '021'], ['Brookline', '024']] },
  { name: 'Denver', state: 'CO', code: 'DEN', areaCodes: ['303', '720'], weight: 0.12,
    towns: [['Denver', '802'], ['Aurora', '800'], ['Lakewood', '802'], ['Boulder', '803'], ['Littleton', '801']] },
  { name: 'Seattle', state: 'WA', code: 'SEA', areaCodes: ['206', '425', '253'], weight: 0.08,
    towns: [['Seattle', '981'], ['Bellevue', '980'], ['Redmond', '980'], ['Tacoma', '984'], ['Kirkland', '980']] },
];

export interface Department {
  name: string;
  /** The role family's base title, e.g. "Software Engineer" → "Software Engineer II", "Senior Software Engineer". */
  role: string;
  /** Annual salary of the entry level, in whole dollars. */
  baseSalary: number;
  /** Share of part-time staff. */
  partTime: number;
}

export const DEPARTMENTS: readonly Department[] = [
  { name: 'Manufacturing', role: 'Production Associate', baseSalary: 41_000, partTime: 0.2 },
  { name: 'Customer Support', role: 'Support Specialist', baseSalary: 44_000, partTime: 0.25 },
  { name: 'Engineering', role: 'Software Engineer', baseSalary: 98_000, partTime: 0.02 },
  { name: 'Sales', role: 'Account Executive', baseSalary: 62_000, partTime: 0.05 },
  { name: 'Logistics', role: 'Logistics Coordinator', baseSalary: 46_000, partTime: 0.2 },
  { name: 'Operations', role: 'Operations Analyst', baseSalary: 58_000, partTime: 0.08 },
  { name: 'Research & Development', role: 'Research Scientist', baseSalary: 92_000, partTime: 0.03 },
  { name: 'Finance', role: 'Financial Analyst', baseSalary: 72_000, partTime: 0.04 },
  { name: 'Marketing', role: 'Marketing Specialist', baseSalary: 60_000, partTime: 0.08 },
  { name: 'Human Resources', role: 'HR Generalist', baseSalary: 57_000, partTime: 0.06 },
  { name: 'Information Technology', role: 'Systems Administrator', baseSalary: 74_000, partTime: 0.03 },
  { name: 'Quality Assurance', role: 'Quality Analyst', baseSalary: 61_000, partTime: 0.05 },
  { name: 'Facilities', role: 'Facilities Technician', baseSalary: 43_000, partTime: 0.3 },
  { name: 'Procurement', role: 'Buyer', baseSalary: 59_000, partTime: 0.05 },
  { name: 'Customer Success', role: 'Customer Success Associate', baseSalary: 66_000, partTime: 0.05 },
  { name: 'Product', role: 'Product Owner', baseSalary: 105_000, partTime: 0.02 },
  { name: 'Legal', role: 'Counsel', baseSalary: 120_000, partTime: 0.05 },
  { name: 'Security', role: 'Security Engineer', baseSalary: 102_000, partTime: 0.02 },
  { name: 'Training', role: 'Learning Specialist', baseSalary: 52_000, partTime: 0.15 },
  { name: 'Executive Office', role: 'Executive Assistant', baseSalary: 70_000, partTime: 0.05 },
];

export const MAX_LEVEL = 5;

/** Title at a level of a department's ladder; the top rung carries a comma on purpose. */
export function titleFor(dept: Department, level: number): string {
  switch (level) {
    case 0: return `${dept.role} I`;
    case 1: return `${dept.role} II`;
    case 2: return `Senior ${dept.role}`;
    case 3: return `Lead ${dept.role}`;
    case 4: return `${dept.name} Manager`;
    default: return `Director, ${dept.name}`;
  }
}

export const FEMALE_FIRST = [
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen',
  'Zoë', 'Renée', 'Chloé', 'Siobhán', 'Inés', 'María José', 'Anne-Marie', 'Bethany', 'Priya', 'Mei',
  'Aaliyah', 'Fatima', 'Ngozi', 'Olga', 'Ingrid', 'Yuki', 'Camila', 'Léa', 'Sofía', 'Nicole',
  'Emily', 'Hannah', 'Grace', 'Amara', 'Ji-woo', 'Thảo', 'Dagny', 'Rosalía', 'Keisha', 'Laura',
] as const;

export const MALE_FIRST = [
  'James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Charles',
  'José', 'André', 'François', 'Søren', 'Björn', 'Jürgen', 'Seán', 'Raúl', 'Mateo', 'Jean-Luc',
  'Rahul', 'Wei', 'Hiroshi', 'Kwame', 'Tunde', 'Dmitri', 'Lars', 'Nuno', 'Ömer', 'Daniel',
  "D'Andre", 'Marcus', 'Ethan', 'Liam', 'Noah', 'Minh', 'Arjun', 'Diego', 'Tomás', 'Kevin',
] as const;

export const NEUTRAL_FIRST = ['Alex', 'Jordan', 'Taylor', 'Sam', 'Riley', 'Jamie', 'Robin', 'Quinn'] as const;

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor',
  "O'Brien", "O'Neil", "D'Angelo", "O'Connor", "N'Diaye", "Dell'Acqua", 'McCarthy', 'MacDonald',
  'García', 'Martínez', 'Rodríguez', 'Hernández', 'López', 'González', 'Pérez', 'Sánchez', 'Núñez',
  'Nguyễn', 'Trần', 'Müller', 'Schröder', 'Strauß', 'Øverby', 'Åkesson', 'Çelik', 'Łukasiewicz',
  'Dvořák', 'Kowalski', 'Ivanova', 'Papadopoulos', 'Kim', 'Park', 'Chen', 'Wang', 'Li', 'Zhang',
  'Patel', 'Shah', 'Singh', 'Okafor', 'Mensah', 'Haddad', 'Cohen', 'Lefèvre', 'Brontë', 'Van der Berg',
  'de la Cruz', 'St. James', 'Smith-Jones', 'Ortiz-Ramírez', 'Thompson', 'White', 'Harris', 'Clark',
] as const;

/** Suffixes written into the last name the way many HR systems store them: "Smith, Jr.". */
export const SUFFIXES = [', Jr.', ', Sr.', ', III'] as const;

export const STREETS = [
  'Maple', 'Oak', 'Cedar', 'Pine', 'Elm', 'Washington', 'Lake', 'Hill', 'Park', 'Main', 'Church',
  'Highland', 'Sunset', 'Ridge', 'Willow', 'Jefferson', 'Lincoln', 'Madison', "King's", 'Saint Mary',
] as const;
export const STREET_KINDS = ['St', 'Ave', 'Blvd', 'Rd', 'Ln', 'Dr', 'Ct', 'Way', 'Pl'] as const;
export const UNIT_KINDS = ['Apt', 'Unit', 'Suite', '#'] as const;

export type PlanTypeName = 'medical' | 'dental' | 'vision' | 'life' | 'supp_life' | 'disability';
export type Tier = 'EE' | 'ES' | 'EC' | 'FAM';

export interface Plan {
  code: string;
  type: PlanTypeName;
  /** Monthly employee and employer cost in cents per tier (health plans). */
  monthly?: Record<Tier, readonly [employee: number, employer: number]>;
  /** Monthly cost in cents per 1,000 of cover (life and disability). */
  perThousand?: readonly [employee: number, employer: number];
}

export const PLANS = {
  'MED-PPO': { code: 'MED-PPO', type: 'medical', monthly: { EE: [18_500, 52_000], ES: [39_000, 98_000], EC: [33_500, 87_000], FAM: [54_000, 132_000] } },
  'MED-HMO': { code: 'MED-HMO', type: 'medical', monthly: { EE: [11_000, 46_000], ES: [24_500, 88_000], EC: [21_000, 79_000], FAM: [36_000, 118_000] } },
  'MED-HDHP': { code: 'MED-HDHP', type: 'medical', monthly: { EE: [4_500, 41_000], ES: [11_000, 79_000], EC: [9_500, 70_000], FAM: [17_500, 104_000] } },
  'DEN-BASIC': { code: 'DEN-BASIC', type: 'dental', monthly: { EE: [1_200, 2_400], ES: [2_600, 4_600], EC: [2_900, 5_100], FAM: [4_300, 7_200] } },
  'DEN-PLUS': { code: 'DEN-PLUS', type: 'dental', monthly: { EE: [2_400, 2_400], ES: [5_100, 4_600], EC: [5_600, 5_100], FAM: [8_200, 7_200] } },
  'VIS-STD': { code: 'VIS-STD', type: 'vision', monthly: { EE: [650, 300], ES: [1_300, 600], EC: [1_400, 600], FAM: [2_100, 900] } },
  'LIFE-BASIC': { code: 'LIFE-BASIC', type: 'life', perThousand: [0, 15] },
  'SUPP-LIFE': { code: 'SUPP-LIFE', type: 'supp_life', perThousand: [9, 0] },
  'STD-BASIC': { code: 'STD-BASIC', type: 'disability', perThousand: [30, 0] },
  'LTD-BASIC': { code: 'LTD-BASIC', type: 'disability', perThousand: [0, 22] },
} as const satisfies Record<string, Plan>;

export type PlanCode = keyof typeof PLANS;
export const MEDICAL_PLANS: readonly PlanCode[] = ['MED-PPO', 'MED-HMO', 'MED-HDHP'];
export const DENTAL_PLANS: readonly PlanCode[] = ['DEN-BASIC', 'DEN-PLUS'];
