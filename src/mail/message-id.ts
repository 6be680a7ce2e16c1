/** Message-IDs of the messages the service sends. */
import { randomUUID } from 'node:crypto';

/**
 * `uuid@domain` on the sending address's domain, as Thunderbird makes them; stored without
 * angle brackets like every Message-ID in the database, written with them in the header.
 */
export function newMessageId(fromAddress: string): string {
  const domain = fromAddress.split('@')[1] || 'localhost';
  return `${randomUUID()}@${domain.toLowerCase()}`;
}
