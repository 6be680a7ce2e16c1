/**
 * The CPU stage of a sync: a fetched message parsed, split into reply and quote, its
 * language guessed, its source hashed and compressed. No I/O; `prepare-pool.ts` runs it
 * on a worker thread, `ingest.ts` stores what it gives.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { detectLanguage } from '../audit/language.ts';
import type { ParsedMessage } from '../audit/message.ts';
import { splitReply } from '../audit/quote.ts';
import type { FetchedMessage } from '../mail/imap-sync.ts';
import { parseHeaderBlock, parseMessage } from '../mail/parse.ts';

/** What the CPU-bound stage produced; storing it needs the database and nothing else. */
export interface PreparedMessage {
  fetched: FetchedMessage;
  parsed: ParsedMessage;
  sha256: Buffer;
  gz: Buffer;
  replyText: string;
  signature: string | null;
  language: string | null;
}

export async function prepareMessage(fetched: FetchedMessage, maxBytes: number): Promise<PreparedMessage> {
  const parsed = fetched.oversize
    ? parseHeaderBlock(
        fetched.source,
        `message of ${megabytes(fetched.size)} is above the ${megabytes(maxBytes)} cap: stored with its headers only`,
      )
    : await parseMessage(fetched.source);
  const split = splitReply(parsed.text);
  return {
    fetched,
    parsed,
    sha256: createHash('sha256').update(fetched.source).digest(),
    // synchronous: for a few kilobytes, a round trip to the thread pool costs more than the work
    gz: gzipSync(fetched.source),
    replyText: split.replyText,
    signature: split.signature,
    language: split.replyText ? detectLanguage(split.replyText) : null,
  };
}

function megabytes(bytes: number): string {
  const mb = bytes / 1048576;
  return `${mb >= 10 ? mb.toFixed(0) : mb >= 0.1 ? mb.toFixed(1) : mb.toFixed(3)} MB`;
}
