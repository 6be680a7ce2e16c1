/**
 * The one outgoing HTTP request of a webhook delivery: a POST with a bounded timeout,
 * no redirects followed (a 3xx is a failure like any non-2xx), the answer's body
 * discarded unread, the receiver's host held to the host rule at connection time
 * (`guarded-fetch.ts`). Never throws: the result says what happened.
 */
import { guardedFetch, refusedHostReason } from './guarded-fetch.ts';

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  /** Why it failed, in plain words; null on a 2xx. */
  error: string | null;
  durationMs: number;
}

export type PostJson = (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Promise<PostResult>;

export const postJson: PostJson = async (url, body, headers, timeoutMs) => {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await guardedFetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Sonde-Webhooks/1', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // the answer's body is never stored (it could be anything)
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, error: ok ? null : `the receiver answered HTTP ${response.status}`, durationMs: elapsed() };
  } catch (err) {
    return { ok: false, statusCode: null, error: describe(err, timeoutMs), durationMs: elapsed() };
  }
};

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms (timeout)`;
  const refused = refusedHostReason(err);
  if (refused) return `the receiver's host is refused: ${refused}`;
  const cause = e.cause;
  if (cause?.code === 'ECONNREFUSED') return 'the receiver refused the connection (ECONNREFUSED)';
  if (cause?.code === 'ENOTFOUND') return 'the receiver host was not found (ENOTFOUND)';
  if (cause?.code) return `the request failed (${cause.code}${cause.message ? `: ${cause.message}` : ''})`;
  return `the request failed (${e.message ?? String(err)})`;
}
