/** How a failed sync reads on the mailbox (API `syncState.lastError`): what happened, never a secret. */
import { AuthenticationFailure } from 'imapflow/lib/errors.js';
import { describe, expect, it } from 'vitest';
import { describeImapFailure } from '../../src/mail/imap-client.ts';

describe('describeImapFailure', () => {
  it('says a refused login is the user and password, with the server text', () => {
    const err = Object.assign(new AuthenticationFailure('Command failed'), { authenticationFailed: true, responseText: 'Authentication failed.' });
    expect(describeImapFailure(err)).toBe('login refused by the IMAP server: Authentication failed.; check the user and password');
  });

  it('names connection failures in words', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeImapFailure(refused)).toBe('the IMAP server refused the connection (connect ECONNREFUSED 127.0.0.1:1)');
    expect(describeImapFailure(Object.assign(new Error('x'), { code: 'GREETING_TIMEOUT' }))).toBe('the IMAP server did not answer in time (GREETING_TIMEOUT)');
    expect(describeImapFailure(Object.assign(new Error('getaddrinfo ENOTFOUND imap.nowhere'), { code: 'ENOTFOUND' }))).toBe(
      'the IMAP host was not found (getaddrinfo ENOTFOUND imap.nowhere)',
    );
  });

  it('keeps the message of any other error', () => {
    expect(describeImapFailure(new Error('the mailbox was deleted during the poll'))).toBe('the mailbox was deleted during the poll');
    expect(describeImapFailure('plain')).toBe('plain');
  });
});
