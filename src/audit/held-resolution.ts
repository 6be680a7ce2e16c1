/**
 * Whether an auditor's resolution of a held send (a probe or reminder interrupted with no copy
 * in the Sent folder) can be recorded as asked: pure, the route reads the state and answers
 * with what this says.
 *
 * - `sent` needs the time the auditor established (`sentAt`, e.g. from the provider's sent
 *   log): not in the future, not before the probe existed (a reminder: not before its probe
 *   was sent);
 * - `not_sent` sends it again, so only while the campaign is not closed;
 * - `failed` gives it up, and says why (`note`).
 */
export type HeldResolutionKind = 'sent' | 'not_sent' | 'failed';

export interface HeldResolutionRequest {
  resolution: HeldResolutionKind;
  sentAt?: string | Date | undefined;
  note?: string | undefined;
}

/** What the request is checked against. */
export interface HeldSendContext {
  /** `sentAt` may not come before this… */
  notBefore: Date;
  /** …which is, in words: "the probe was created", "probe … was sent". */
  notBeforeWhat: string;
  campaignClosed: boolean;
}

export interface ResolutionFieldError {
  field: string;
  message: string;
}

/** Why the request is refused: 400 a body to fix, 409 a state that forbids it, 422 a time that cannot be. */
export interface ResolutionRefusal {
  status: 400 | 409 | 422;
  detail: string;
  errors: ResolutionFieldError[];
}

/** The accepted resolution, its time read. */
export interface CheckedResolution {
  resolution: HeldResolutionKind;
  sentAt: Date | null;
  note: string | null;
}

/** Clocks differ a little: a time this far ahead of ours is still taken as now. */
export const FUTURE_SLACK_MS = 5 * 60_000;

export function checkHeldResolution(request: HeldResolutionRequest, context: HeldSendContext, now: Date): CheckedResolution | ResolutionRefusal {
  const note = request.note?.trim() ? request.note.trim() : null;
  const bad: ResolutionFieldError[] = [];
  if (request.resolution === 'sent' && request.sentAt === undefined) {
    bad.push({ field: 'body/sentAt', message: 'is required with resolution "sent": the time the message went out, as the provider\'s sent log gives it' });
  }
  if (request.resolution !== 'sent' && request.sentAt !== undefined) {
    bad.push({ field: 'body/sentAt', message: `goes with resolution "sent" only; leave it out for "${request.resolution}"` });
  }
  if (request.resolution === 'failed' && !note) bad.push({ field: 'body/note', message: 'is required with resolution "failed": say why the send is given up' });
  if (bad.length > 0) return refusal(400, bad);

  if (request.resolution === 'not_sent' && context.campaignClosed) {
    return {
      status: 409,
      detail: 'the campaign is closed, so nothing of it is sent again: resolve this send as "sent" or "failed", or reopen the campaign first',
      errors: [{ field: 'body/resolution', message: 'cannot be "not_sent" while the campaign is closed' }],
    };
  }
  if (request.resolution !== 'sent') return { resolution: request.resolution, sentAt: null, note };

  const sentAt = new Date(request.sentAt!);
  if (Number.isNaN(sentAt.getTime())) return refusal(400, [{ field: 'body/sentAt', message: 'is not a time: give an ISO 8601 time with its offset' }]);
  if (sentAt.getTime() > now.getTime() + FUTURE_SLACK_MS) {
    return refusal(422, [{ field: 'body/sentAt', message: `is in the future (it is ${now.toISOString()} now): give the time the message went out` }]);
  }
  if (sentAt < context.notBefore) {
    return refusal(422, [{ field: 'body/sentAt', message: `comes before ${context.notBeforeWhat} (${context.notBefore.toISOString()}): check the time and its offset` }]);
  }
  return { resolution: 'sent', sentAt, note };
}

export const isRefusal = (checked: CheckedResolution | ResolutionRefusal): checked is ResolutionRefusal => 'status' in checked;

function refusal(status: 400 | 422, errors: ResolutionFieldError[]): ResolutionRefusal {
  return { status, detail: errors.map((e) => `${e.field} ${e.message}`).join('; '), errors };
}
