/** How a failed sync reads on the mailbox (API `syncState.lastError`): what happened, never a secret. */
import { AuthenticationFailure } from 'imapflow/lib/errors.js';
import { describe, expect, it } from 'vitest';
import { describeImapFailure } from '../../src/mail/imap-client.ts';

describe('describeImapFailure', () => {
  it('says a refused login is the user and password, with the server text', () => {
    const err = Object.assign(new AuthenticationFailure('Command failed'), { authenticationFailed: true, responseText: 'Authentication failed.' });
    expect(describeImapFailure(err)).toBe('login refused by the IMAP server: Authentication failed.; check the user and password');
  });

  it('names connection failures in plain words, without the addresses and ports of the raw error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:22'), { code: 'ECONNREFUSED' });
    expect(describeImapFailure(refused)).toBe('the IMAP server refused the connection');
    expect(describeImapFailure(Object.assign(new Error('x'), { code: 'GREETING_TIMEOUT' }))).toBe('the IMAP server did not answer in time');
    expect(describeImapFailure(Object.assign(new Error('getaddrinfo ENOTFOUND imap.nowhere'), { code: 'ENOTFOUND' }))).toBe(
      'the IMAP host was not found; check its name',
    );
    const reset = Object.assign(new Error('read ECONNRESET 192.168.1.1:8080'), { code: 'ECONNRESET' });
    expect(describeImapFailure(reset)).not.toMatch(/192\.168|8080/u);
    const hostUnreachable = Object.assign(new Error('connect EHOSTUNREACH 10.1.2.3:143'), { code: 'EHOSTUNREACH' });
    expect(describeImapFailure(hostUnreachable)).toBe('the IMAP connection failed (EHOSTUNREACH)');
  });

  it('says what to change when the server offers no STARTTLS', () => {
    const err = Object.assign(new Error('Server does not support STARTTLS'), { tlsFailed: true });
    expect(describeImapFailure(err)).toMatch(/does not offer STARTTLS.*allowPlaintext/u);
  });

  it('keeps the message of any other error', () => {
    expect(describeImapFailure(new Error('the mailbox was deleted during the poll'))).toBe('the mailbox was deleted during the poll');
    expect(describeImapFailure('plain')).toBe('plain');
  });
});
