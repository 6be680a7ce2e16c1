/**
 * DKIM verdict of a raw message, verified with mailauth: which domains signed it and whether
 * each signature holds. Verified once, when the reply is analysed, and stored, because
 * signing keys rotate: a key withdrawn from DNS next month must not turn today's pass into a
 * doubt.
 *
 * The DNS resolver is injectable (tests sign with a generated key and serve its public key
 * themselves) and every lookup is bounded: a lookup that does not answer within the time
 * gives `temperror` instead of holding the analysis.
 */
import { promises as dns } from 'node:dns';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

export type DkimResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

export type DkimStatus = 'pass' | 'fail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

export interface DkimSignature {
  /** The d= domain. */
  domain: string;
  selector: string | null;
  status: DkimStatus;
  /** Whether the signing domain aligns with the From domain. */
  aligned: boolean;
  comment: string | null;
}

export interface DkimVerdict {
  /**
   * The message's verdict: `pass` when a signature passes (the best one counts), else the
   * first signature's status, `none` when unsigned.
   */
  status: DkimStatus;
  /** The domain of the signature the verdict comes from; null when unsigned. */
  domain: string | null;
  /** Addresses of the From header. */
  headerFrom: string[];
  signatures: DkimSignature[];
}

export const DEFAULT_DKIM_TIMEOUT_MS = 5000;

export interface DkimOptions {
  resolver?: DkimResolver;
  /** Bound of each DNS lookup and of the whole verification. */
  timeoutMs?: number;
  /** Time of the expiry checks (signatures with x=): the reply's arrival. */
  now?: Date;
}

class DkimTimeout extends Error {
  code = 'ETIMEOUT';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DkimTimeout(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const STATUSES = new Set<DkimStatus>(['pass', 'fail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);

function statusOf(result: string, comment: string | undefined): DkimStatus {
  // a body altered after signing is a failed signature (RFC 6376, 6.1.3), which mailauth reports as neutral
  if (result === 'neutral' && comment === 'body hash did not verify') return 'fail';
  if (result === 'temperr') return 'temperror';
  return STATUSES.has(result as DkimStatus) ? (result as DkimStatus) : 'neutral';
}

export async function verifyDkim(source: Buffer, options: DkimOptions = {}): Promise<DkimVerdict> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DKIM_TIMEOUT_MS;
  const resolve: DkimResolver = options.resolver ?? ((name, rrtype) => dns.resolve(name, rrtype as 'TXT'));
  const resolver: DkimResolver = (name, rrtype) => withTimeout(resolve(name, rrtype), timeoutMs, `DNS lookup of ${name}`);
  let result: Awaited<ReturnType<typeof dkimVerify>>;
  try {
    result = await withTimeout(dkimVerify(source, { resolver, ...(options.now && { curTime: options.now }) }), timeoutMs * 2, 'DKIM verification');
  } catch (error) {
    const comment = error instanceof Error ? error.message : String(error);
    return { status: 'temperror', domain: null, headerFrom: [], signatures: [{ domain: '', selector: null, status: 'temperror', aligned: false, comment }] };
  }
  const signatures: DkimSignature[] = result.results
    .filter((r) => r.signingDomain)
    .map((r) => ({
      domain: r.signingDomain.toLowerCase(),
      selector: r.selector ?? null,
      status: statusOf(r.status.result, r.status.comment),
      aligned: Boolean(r.status.aligned),
      comment: r.status.comment ?? null,
    }));
  const best = signatures.find((s) => s.status === 'pass') ?? signatures[0] ?? null;
  return { status: best?.status ?? 'none', domain: best?.domain ?? null, headerFrom: result.headerFrom, signatures };
}
