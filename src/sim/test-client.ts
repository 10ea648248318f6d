/** Small HTTP helpers for the simulator tests (real HTTP over loopback). */
export interface Reply { status: number; headers: Headers; body: any; text: string }

export async function call(url: string, init?: { method?: string; body?: unknown }): Promise<Reply> {
  const res = await fetch(url, {
    method: init?.method ?? (init?.body !== undefined ? 'POST' : 'GET'),
    ...(init?.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function json(url: string, init?: { method?: string; body?: unknown }): Promise<any> {
  const r = await call(url, init);
  if (r.status !== 200) throw new Error(`${init?.method ?? 'GET'} ${url}: ${r.status} ${r.text.slice(0, 200)}`);
  return r.body;
}

export const unitPath = (u: { location: string; department: string }): string =>
  `/units/${encodeURIComponent(u.location)}/${encodeURIComponent(u.department)}`;
