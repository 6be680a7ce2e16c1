/**
 * The test IMAP server behaves like the real mailboxes the sync will meet:
 * logins, APPEND with an arrival date, special-use folders, CONDSTORE figures
 * and a UIDVALIDITY change on demand. Every other IMAP test stands on these.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createMailUser, resetUidValidity, type MailUser } from '../support/dovecot.ts';
import { appendMessage, connectImap, listUids, mailboxStatus, withImap } from '../support/imap.ts';

const dovecot = inject('dovecot');

function rawReply(to: string, subject: string): string {
  return [
    'From: Service Client <service.client@brand.example>',
    `To: <${to}>`,
    `Subject: ${subject}`,
    'Date: Mon, 04 Mar 2024 11:42:07 +0100',
    'Message-ID: <reply-1@brand.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Bonjour Madame Martin,',
    '',
    'Nous avons bien reçu votre demande.',
    '',
  ].join('\r\n');
}

describe('test IMAP server', () => {
  let persona: MailUser;

  beforeAll(async () => {
    persona = await createMailUser(dovecot, 'persona');
  });

  it('lets a user created after start log in, and announces CONDSTORE', async () => {
    const client = await connectImap(dovecot, persona);
    try {
      expect(client.authenticated).toBeTruthy();
      expect(client.capabilities.has('CONDSTORE')).toBe(true);
      expect(client.enabled.has('CONDSTORE')).toBe(true);
    } finally {
      await client.logout();
    }
  });

  it('refuses a wrong password as an authentication failure', async () => {
    await expect(connectImap(dovecot, { user: persona.user, password: 'not-the-password' })).rejects.toMatchObject({
      authenticationFailed: true,
      serverResponseCode: 'AUTHENTICATIONFAILED',
    });
  });

  it('keeps the INTERNALDATE given at APPEND', async () => {
    const arrival = new Date('2024-03-04T14:05:33Z');
    const { uid } = await appendMessage(dovecot, persona, 'INBOX', rawReply(persona.address, 'Re: ma commande'), arrival);

    const fetched = await withImap(dovecot, persona, async (client) => {
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        return await client.fetchOne(String(uid), { uid: true, internalDate: true }, { uid: true });
      } finally {
        lock.release();
      }
    });
    expect(fetched && fetched.internalDate).toEqual(arrival);
    expect(await listUids(dovecot, persona, 'INBOX')).toContain(uid);
  });

  it('has Junk and Sent folders with their special-use flags', async () => {
    const folders = await withImap(dovecot, persona, (client) => client.list());
    const specialUse = Object.fromEntries(folders.map((folder) => [folder.path, folder.specialUse]));
    expect(specialUse).toMatchObject({ INBOX: '\\Inbox', Junk: '\\Junk', Sent: '\\Sent' });
  });

  it('reports UIDVALIDITY and a HIGHESTMODSEQ that grows with each change', async () => {
    const before = await mailboxStatus(dovecot, persona, 'Junk');
    const appended = await appendMessage(dovecot, persona, 'Junk', rawReply(persona.address, 'Offre'), new Date());
    const after = await mailboxStatus(dovecot, persona, 'Junk');

    expect(after.uidValidity).toBeGreaterThan(0n);
    expect(after.uidValidity).toBe(appended.uidValidity);
    expect(after.highestModseq).toBeGreaterThan(before.highestModseq);
    expect(after).toMatchObject({ messages: before.messages + 1, uidNext: appended.uid + 1 });
  });

  it.each(['INBOX', 'Sent'])('changes the UIDVALIDITY of %s on demand', async (mailbox) => {
    const user = await createMailUser(dovecot, 'reset');
    const before = await mailboxStatus(dovecot, user, mailbox);

    const chosen = await resetUidValidity(dovecot, user.user, mailbox);
    const after = await mailboxStatus(dovecot, user, mailbox);

    expect(chosen).not.toBe(Number(before.uidValidity));
    expect(after.uidValidity).toBe(BigInt(chosen));
  });

  it('sets a chosen UIDVALIDITY', async () => {
    await resetUidValidity(dovecot, persona.user, 'Sent', 4242);
    expect((await mailboxStatus(dovecot, persona, 'Sent')).uidValidity).toBe(4242n);
  });
});
