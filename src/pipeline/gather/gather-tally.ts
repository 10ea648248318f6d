/** What one gather saw besides the data: counted per batch, summed per run. */
export interface GatherTally {
  invalidRecords: number;
  outOfUnitRecords: number;
  staleRecords: number;
  failedCalls: number;
  versionRefetches: number;
  cacheServed: number;
  cacheMissed: number;
  /** Cache reads or writes that failed (counted as misses; the services answered instead). */
  cacheErrors: number;
}

export const emptyTally = (): GatherTally => ({
  invalidRecords: 0, outOfUnitRecords: 0, staleRecords: 0, failedCalls: 0, versionRefetches: 0, cacheServed: 0, cacheMissed: 0, cacheErrors: 0,
});

export function addTally(into: GatherTally, t: Partial<GatherTally>): GatherTally {
  for (const [k, v] of Object.entries(t) as Array<[keyof GatherTally, number]>) into[k] += v;
  return into;
}
