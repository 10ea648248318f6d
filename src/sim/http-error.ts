/** A response a route handler ends with early: status and JSON body. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body.error ?? status));
  }
}
