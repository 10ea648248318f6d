import { DEPARTMENTS, LOCATIONS } from './catalog.js';
import { mix, Rng } from './prng.js';

export interface Unit {
  /** Position in `Org.units`; stable for a seed. */
  index: number;
  location: string;
  department: string;
  locationIndex: number;
  departmentIndex: number;
  size: number;
}

/**
 * Org structure: which unit (location × department) each employee sits in. Sizes are deliberately
 * uneven — location weights times a Zipf curve over departments, reshuffled per location — so at
 * 50,000 employees a few units hold more than 2,000 people and the smallest a few dozen.
 */
export interface Org {
  /** Units with at least one employee, in (location, department) order. */
  units: Unit[];
  /** Employee index → position in `units`. */
  unitOf: Uint16Array;
  /** Per unit, its employee indexes in ascending order (so in employee-id order). */
  members: Int32Array[];
  unitByKey: Map<string, Unit>;
}

export const unitKey = (location: string, department: string): string => `${location}/${department}`;

export function buildOrg(seed: number, employees: number): Org {
  const rng = new Rng(mix(seed, 0x0c6));
  const weights: Array<{ l: number; d: number; w: number }> = [];
  LOCATIONS.forEach((loc, l) => {
    const ranks = rng.shuffle(DEPARTMENTS.map((_, d) => d));
    ranks.forEach((d, rank) => weights.push({ l, d, w: loc.weight / (rank + 1) }));
  });
  weights.sort((a, b) => a.l - b.l || a.d - b.d);
  const total = weights.reduce((s, x) => s + x.w, 0);

  // Largest-remainder allocation: sizes sum exactly to `employees`.
  const exact = weights.map((x) => (x.w / total) * employees);
  const sizes = exact.map(Math.floor);
  let left = employees - sizes.reduce((s, n) => s + n, 0);
  const byRemainder = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % byRemainder.length, left--) sizes[byRemainder[k]![1]]!++;

  const all: Unit[] = weights.map((x, i) => ({
    index: i, location: LOCATIONS[x.l]!.name, department: DEPARTMENTS[x.d]!.name,
    locationIndex: x.l, departmentIndex: x.d, size: sizes[i]!,
  }));
  const units = all.filter((u) => u.size > 0).map((u, index) => ({ ...u, index }));

  // Deal the seats out in a seeded shuffle so neighbouring ids land in different units.
  const seats = new Uint16Array(employees);
  let p = 0;
  for (const u of units) seats.fill(u.index, p, (p += u.size));
  for (let i = employees - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = seats[i]!;
    seats[i] = seats[j]!;
    seats[j] = t;
  }
  const members = units.map((u) => new Int32Array(u.size));
  const fill = new Int32Array(units.length);
  for (let i = 0; i < employees; i++) {
    const u = seats[i]!;
    members[u]![fill[u]!++] = i;
  }
  return { units, unitOf: seats, members, unitByKey: new Map(units.map((u) => [unitKey(u.location, u.department), u])) };
}
