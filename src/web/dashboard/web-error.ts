/** An error a dashboard page answers with its own page: 400, 401, 403, 404. */
export class WebError extends Error {
  constructor(
    readonly status: number,
    detail?: string,
  ) {
    super(detail ?? `HTTP ${status}`);
    this.name = 'WebError';
  }
}
