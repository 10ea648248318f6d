/**
 * Paths into a service's JSON records, as written in descriptors:
 *   `compensation`, `person.firstName`                        object keys, dot-separated
 *   `["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].department`   a key with dots, quoted
 *   `emails[type=work].value`                                  the first array element whose key equals a value
 *   ``                                                          the record itself
 */
type Segment = { key: string; where?: { key: string; value: string } };

const cache = new Map<string, Segment[]>();

export function parseRecordPath(path: string): Segment[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const segs: Segment[] = [];
  const re = /\s*(?:\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+))(?:\[([^=\]]+)=([^\]]*)\])?\s*(?:\.|$)/y;
  let i = 0;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (!m || m[0].length === 0) throw new SyntaxError(`bad record path "${path}" at ${i}`);
    segs.push({ key: m[1] ?? m[2]!, ...(m[3] !== undefined ? { where: { key: m[3], value: m[4]! } } : {}) });
    i = re.lastIndex;
  }
  cache.set(path, segs);
  return segs;
}

const readers = new Map<string, (record: unknown) => unknown>();

/** A reader for one path, parsed once (records are read by the thousand per page). */
export function recordReader(path: string): (record: unknown) => unknown {
  let r = readers.get(path);
  if (r) return r;
  const segs = parseRecordPath(path);
  r = (record) => {
    let cur: unknown = record;
    for (let i = 0; i < segs.length; i++) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      const seg = segs[i]!;
      cur = (cur as Record<string, unknown>)[seg.key];
      if (seg.where) {
        if (!Array.isArray(cur)) return undefined;
        const w = seg.where;
        cur = cur.find((el) => el !== null && typeof el === 'object' && String((el as Record<string, unknown>)[w.key]) === w.value);
      }
    }
    return cur;
  };
  readers.set(path, r);
  return r;
}

/** The value at `path`, or undefined when any step is missing. */
export function readPath(record: unknown, path: string): unknown {
  return recordReader(path)(record);
}

const snapshotKeys = new Map<string, string[]>();

/**
 * Sets a dot path (snapshot side: plain keys only), creating objects on the way. An object on the
 * way that `owned` does not hold came from elsewhere (a service's record, shared): it is copied
 * before it is written into, never changed in place.
 */
export function writePath(target: Record<string, unknown>, dotPath: string, value: unknown, owned?: Set<object>): void {
  let keys = snapshotKeys.get(dotPath);
  if (!keys) snapshotKeys.set(dotPath, (keys = dotPath.split('.')));
  let cur = target;
  const last = keys.length - 1;
  for (let i = 0; i < last; i++) {
    const k = keys[i]!;
    const existing = cur[k];
    let next: Record<string, unknown>;
    if (existing === undefined || existing === null || typeof existing !== 'object') next = {};
    else if (owned && !owned.has(existing)) next = { ...(existing as Record<string, unknown>) };
    else {
      cur = existing as Record<string, unknown>;
      continue;
    }
    owned?.add(next);
    cur[k] = next;
    cur = next;
  }
  cur[keys[last]!] = value;
}
