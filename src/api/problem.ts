/**
 * Errors as `application/problem+json` (RFC 9457). Route code throws an `ApiProblem`;
 * the app's error handler turns it, validation errors and known database errors
 * into a problem document that says what to fix.
 */
export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `body/persona/firstName`. */
  field: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }

  toDocument(): ProblemDocument {
    return { type: problemType(this.status), title: this.title, status: this.status, detail: this.detail, ...this.extra };
  }
}

export const notFound = (what: string, id: string) => new ApiProblem(404, 'Not Found', `${what} ${id} does not exist`);
export const conflict = (detail: string, extra: Record<string, unknown> = {}) => new ApiProblem(409, 'Conflict', detail, extra);
export const unprocessable = (detail: string, errors?: FieldError[]) =>
  new ApiProblem(422, 'Unprocessable Content', detail, errors ? { errors } : {});

const STATUS_SLUGS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  429: 'too-many-requests',
  500: 'internal-error',
  503: 'unavailable',
};

export function problemType(status: number): string {
  return `https://sonde.dev/problems/${STATUS_SLUGS[status] ?? String(status)}`;
}

/** Returns the value, or throws a 404 naming what was looked for. */
export function found<T>(value: T | null | undefined, what: string, id: string): T {
  if (value === null || value === undefined) throw notFound(what, id);
  return value;
}
