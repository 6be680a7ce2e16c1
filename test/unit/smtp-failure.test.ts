import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { SmtpSendError, classifySmtpError } from '../../src/mail/smtp.ts';
import { createLogger } from '../../src/logger.ts';
import { HeldSendError, MailboxFaultError, PermanentSendError, judgeSendFailure } from '../../src/flow/send-failure.ts';
import { OAuth2TokenError } from '../../src/http/oauth2-token.ts';
import { judgeFailure } from '../../src/queue/send-job.ts';
import { sendOnce, type MailTransport } from '../../src/flow/deliver-once.ts';

/** An error as nodemailer hands it over: its message, then the fields it sets from where the failure came. */
function nodemailerError(message: string, fields: { code?: string; response?: string; responseCode?: number; permanent?: boolean; command?: string }): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifySmtpError', () => {
  it('reads a reply of the server by its class: 4xx temporary, 5xx permanent', () => {
    const deferred = classifySmtpError(
      nodemailerError('Message failed: 451 4.3.0 Try again later', { code: 'EMESSAGE', response: '451 4.3.0 Try again later', responseCode: 451, permanent: false, command: 'DATA' }),
    );
    expect(deferred).toMatchObject({ permanent: false, responseCode: 451, response: '451 4.3.0 Try again later', code: 'EMESSAGE' });
    const refused = classifySmtpError(
      nodemailerError("Can't send mail - all recipients were rejected: 550 5.1.1 User unknown", { code: 'EENVELOPE', response: '550 5.1.1 User unknown', responseCode: 550, permanent: true, command: 'RCPT TO' }),
    );
    expect(refused).toMatchObject({ permanent: true, responseCode: 550 });
  });

  it('follows nodemailer on 503 (a bad sequence, not a refusal of the message): temporary', () => {
    const err = nodemailerError('Message failed: 503 5.5.1 Error: need MAIL command', { code: 'EMESSAGE', response: '503 5.5.1 Error: need MAIL command', responseCode: 503, permanent: false });
    expect(classifySmtpError(err).permanent).toBe(false);
  });

  it('takes a refused login for permanent, a login the server cannot check now for temporary', () => {
    expect(classifySmtpError(nodemailerError('Invalid login: 535 5.7.8 Authentication failed', { code: 'EAUTH', response: '535 5.7.8 Authentication failed', responseCode: 535, permanent: true })).permanent).toBe(true);
    expect(classifySmtpError(nodemailerError('Invalid login: 454 4.7.0 Temporary authentication failure', { code: 'EAUTH', response: '454 4.7.0 Temporary authentication failure', responseCode: 454, permanent: false })).permanent).toBe(false);
  });

  it('takes a connection that failed or timed out for temporary, whatever its text says', () => {
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS']) {
      const err = classifySmtpError(nodemailerError('Connection closed unexpectedly after 550 bytes', { code }));
      expect(err).toMatchObject({ permanent: false, responseCode: null, response: null, code });
    }
  });

  it('says a connection failure in plain words, keeping the raw error (addresses, ports) as its cause for the logs', () => {
    const raw = nodemailerError('connect ECONNREFUSED 10.0.0.5:25', { code: 'ECONNECTION' });
    const err = classifySmtpError(raw);
    expect(err.message).toBe('the SMTP server could not be reached, or cut the connection (ECONNECTION)');
    expect(err.message).not.toMatch(/10\.0\.0\.5|:25/u);
    expect(err.cause).toBe(raw);
  });

  it('takes what nodemailer refused before talking (no credentials, bad settings) for permanent', () => {
    expect(classifySmtpError(nodemailerError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' })).permanent).toBe(true);
    expect(classifySmtpError(nodemailerError('No recipients defined', { code: 'EENVELOPE', command: 'API' })).permanent).toBe(true);
    expect(classifySmtpError(nodemailerError('Invalid option', { code: 'ECONFIG' })).permanent).toBe(true);
  });

  it('leaves an unknown failure to the bounded retries', () => {
    expect(classifySmtpError(new Error('something odd')).permanent).toBe(false);
    expect(classifySmtpError('not even an error')).toBeInstanceOf(SmtpSendError);
  });
});

describe('judgeFailure', () => {
  const attempt = (made: number) => ({ attemptsMade: made, opts: { attempts: 8 } });
  const deferred = new SmtpSendError('451 4.3.0 Try again later', { permanent: false, response: '451 4.3.0 Try again later', responseCode: 451 });
  const rejected = new SmtpSendError('550 5.1.1 User unknown', { permanent: true, response: '550 5.1.1 User unknown', responseCode: 550 });
  const lost = new SmtpSendError('Connection closed unexpectedly', { permanent: false, code: 'ECONNECTION' });

  it('retries a temporary refusal, and knows the message did not go out', () => {
    const failure = judgeFailure(deferred, attempt(0));
    expect(failure).toMatchObject({ final: false, refused: true, response: '451 4.3.0 Try again later' });
    expect(failure.rethrow).toBe(deferred);
  });

  it('gives up at once on a permanent refusal, telling BullMQ not to retry', () => {
    const failure = judgeFailure(rejected, attempt(0));
    expect(failure.final).toBe(true);
    expect(failure.rethrow).toBeInstanceOf(UnrecoverableError);
    expect(failure.rethrow.message).toBe('550 5.1.1 User unknown');
  });

  it('gives up on the last attempt allowed', () => {
    expect(judgeFailure(deferred, attempt(6)).final).toBe(false);
    expect(judgeFailure(deferred, attempt(7)).final).toBe(true);
  });

  it('does not count a lost connection as a refusal: the message may have gone out', () => {
    expect(judgeFailure(lost, attempt(0))).toMatchObject({ final: false, refused: false, response: null });
    expect(judgeFailure(new Error('IMAP unreachable'), attempt(0))).toMatchObject({ final: false, refused: false });
  });
});

describe('judgeSendFailure', () => {
  it('takes a message that cannot be written for permanent, and not for a refusal of the server', () => {
    expect(judgeSendFailure(new PermanentSendError('the probe has no recipient'))).toMatchObject({ permanent: true, refused: false, mailboxFault: false, reason: 'the probe has no recipient' });
    expect(judgeFailure(new PermanentSendError('the probe has no recipient'), { attemptsMade: 0, opts: { attempts: 8 } }).rethrow).toBeInstanceOf(UnrecoverableError);
  });
  it('leaves an unknown error temporary, and a missing SMTP setting to the mailbox', () => {
    expect(judgeSendFailure('odd')).toMatchObject({ permanent: false, refused: false, mailboxFault: false, reason: 'odd' });
    expect(judgeSendFailure(new MailboxFaultError('no SMTP settings'))).toMatchObject({ permanent: false, refused: true, mailboxFault: true });
  });
  it('takes a refused OAuth2 grant for a fault of the mailbox, and no token at all for a message surely not sent', () => {
    // revoked or expired refresh token: the mailbox shows it failing, its messages wait for a new sign-in
    expect(judgeSendFailure(new OAuth2TokenError('the token endpoint refused the grant: invalid_grant', true))).toMatchObject({ mailboxFault: true, permanent: false, refused: true });
    // token endpoint unreachable (after a refused login, with the claim made): retried, never held as "may have gone out"
    expect(judgeSendFailure(new OAuth2TokenError('the token endpoint did not answer', false))).toMatchObject({ mailboxFault: false, permanent: false, refused: true, held: false });
  });
});

describe('a fault of the mailbox', () => {
  it('takes a refused login or missing credentials for a fault of the mailbox, not of the message', () => {
    const login = classifySmtpError(nodemailerError('Invalid login: 535 5.7.8 Authentication failed', { code: 'EAUTH', response: '535 5.7.8 Authentication failed', responseCode: 535, permanent: true }));
    expect(login.mailboxFault).toBe(true);
    expect(classifySmtpError(nodemailerError('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' })).mailboxFault).toBe(true);
    expect(classifySmtpError(nodemailerError('Invalid login: 454 4.7.0 Temporary authentication failure', { code: 'EAUTH', responseCode: 454, permanent: false })).mailboxFault).toBe(false);
    expect(classifySmtpError(nodemailerError('550 5.1.1 User unknown', { code: 'EENVELOPE', responseCode: 550, permanent: true })).mailboxFault).toBe(false);
  });

  it('waits for the mailbox rather than giving up on the message, even on the last attempt', () => {
    const login = classifySmtpError(nodemailerError('Invalid login: 535 5.7.8 Authentication failed', { code: 'EAUTH', response: '535 5.7.8 Authentication failed', responseCode: 535, permanent: true }));
    expect(judgeFailure(login, { attemptsMade: 7, opts: { attempts: 8 } })).toMatchObject({ mailboxFault: true, final: false, permanent: false, refused: true });
    expect(judgeFailure(new MailboxFaultError('mailbox Marie has no SMTP settings'), { attemptsMade: 0, opts: { attempts: 8 } })).toMatchObject({ mailboxFault: true, final: false });
  });
});

describe('sendOnce', () => {
  const login = { host: 'smtp.example', port: 587, secure: false, allowPlaintext: true, user: 'u', password: 'p' };
  const mailbox = { address: 'marie@sonde.example', persona: { firstName: 'Marie', lastName: 'Dupont' }, smtp: login, imap: login };
  const message = { from: { name: 'Marie Dupont', address: 'marie@sonde.example' }, to: 'sc@brand.example', subject: 'Question', text: 'Bonjour', messageId: 'a1@sonde.example', date: new Date('2026-03-03T09:00:00Z') };
  const acceptedAt = new Date('2026-03-03T09:00:01Z');
  const timing = { now: () => acceptedAt, msPerHour: 3_600_000 };
  const log = createLogger('silent');

  /** A transport that writes down, in order, what happened on each server. */
  function recordingTransport(events: string[], o: { refuse?: boolean; copy?: { pending: boolean } | null } = {}): MailTransport {
    return {
      send: async () => {
        events.push('smtp');
        if (o.refuse) throw classifySmtpError(nodemailerError('550 5.1.1 User unknown', { code: 'EENVELOPE', response: '550 5.1.1 User unknown', responseCode: 550, permanent: true }));
        return { messageId: message.messageId, response: '250 2.0.0 Ok', acceptedAt, serverMessageId: null };
      },
      appendToSent: async (_login, _raw, _date, options) => {
        events.push(options?.pending ? 'pending copy' : 'copy');
        return { path: 'Sent', uid: 1 };
      },
      findInSent: async () => {
        events.push('sent searched');
        return o.copy ? { path: 'Sent', uid: 7, internalDate: new Date('2026-03-03T09:00:00Z'), pending: o.copy.pending } : null;
      },
      settleSentCopy: async (_login, copy, outcome) => void events.push(`copy ${copy.uid} ${outcome}`),
    };
  }
  const record = (events: string[]) => async (s: { sentAt: Date }) => void events.push(`recorded ${s.sentAt.toISOString()}`);

  it('leaves its evidence, a pending copy in the Sent folder, before the SMTP conversation, and settles it once recorded', async () => {
    const events: string[] = [];
    const sent = await sendOnce({ message, mailbox, resumed: false }, record(events), timing, log, recordingTransport(events));
    expect(events).toEqual(['pending copy', 'smtp', `recorded ${acceptedAt.toISOString()}`, 'copy 1 sent']);
    expect(sent).toEqual({ sentAt: acceptedAt, response: '250 2.0.0 Ok', recovered: false });
  });

  it('keeps the pending copy when the record fails, and rethrows: the retry finds the copy', async () => {
    const events: string[] = [];
    const outage = new Error('database unavailable');
    const failing = async () => {
      events.push('record failed');
      throw outage;
    };
    await expect(sendOnce({ message, mailbox, resumed: false }, failing, timing, log, recordingTransport(events))).rejects.toBe(outage);
    expect(events).toEqual(['pending copy', 'smtp', 'record failed']);
  });

  it('removes the copy when the server refuses the message: it surely did not go out', async () => {
    const events: string[] = [];
    await expect(sendOnce({ message, mailbox, resumed: false }, record(events), timing, log, recordingTransport(events, { refuse: true }))).rejects.toThrow(/550/);
    expect(events).toEqual(['pending copy', 'smtp', 'copy 1 not-sent']);
  });

  it('records an interrupted attempt sent from its pending copy, and never talks SMTP again', async () => {
    const events: string[] = [];
    const sent = await sendOnce({ message, mailbox, resumed: true }, record(events), timing, log, recordingTransport(events, { copy: { pending: true } }));
    expect(events).toEqual(['sent searched', 'recorded 2026-03-03T09:00:00.000Z', 'copy 7 sent']);
    expect(sent.recovered).toBe(true);
  });

  it('holds an interrupted attempt that left no copy, rather than sending it again', async () => {
    const events: string[] = [];
    const error = await sendOnce({ message, mailbox, resumed: true }, record(events), timing, log, recordingTransport(events, { copy: null })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HeldSendError);
    expect(events).toEqual(['sent searched']);
    expect(judgeSendFailure(error)).toMatchObject({ held: true, permanent: true, refused: false });
  });

  it('counts a server never reached as surely not sent, a connection lost mid-conversation as unknown', () => {
    const refusedConnection = classifySmtpError(nodemailerError('connect ECONNREFUSED 127.0.0.1:25', { code: 'ESOCKET', command: 'CONN' }));
    const lost = classifySmtpError(nodemailerError('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }));
    expect(judgeSendFailure(refusedConnection).refused).toBe(true);
    expect(judgeSendFailure(lost).refused).toBe(false);
  });
});
