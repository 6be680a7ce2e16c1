/**
 * How a send held for an auditor shows in the probe and reminder representations: since when
 * it is held and why, and the latest resolution an auditor recorded (kept after it is settled).
 */
import { Type } from '@sinclair/typebox';
import type { HeldResolution } from '../db/held-sends.repo.ts';
import { Nullable, Timestamp, Uuid } from './schemas.ts';

export const HeldResolutionSchema = Type.Object(
  {
    resolution: Type.Union([Type.Literal('sent'), Type.Literal('not_sent'), Type.Literal('failed')]),
    sentAt: Nullable(Timestamp),
    note: Nullable(Type.String()),
    heldAt: Timestamp,
    heldReason: Nullable(Type.String()),
    resolvedBy: Type.Object({ keyId: Nullable(Uuid), label: Type.String() }, { description: 'the API key that recorded it (keyId null: the SONDE_ADMIN_KEY)' }),
    resolvedAt: Timestamp,
  },
  { description: 'how an auditor settled the send once held for review' },
);

/** The fields the probe and reminder representations gain. */
export const heldFields = {
  heldAt: Type.Union([Timestamp, Type.Null()], {
    description: 'held for an auditor since then (an interrupted send left no copy in the Sent folder); settle it with POST …/held-resolution',
  }),
  heldReason: Type.Union([Type.String(), Type.Null()], { description: 'why it is held; null when it is not' }),
  heldResolution: Nullable(HeldResolutionSchema),
};

export function presentHeld(row: { heldAt: Date | null; error: string | null }, latest: HeldResolution | undefined) {
  return {
    heldAt: row.heldAt,
    heldReason: row.heldAt ? row.error : null,
    heldResolution: latest ? { resolution: latest.resolution, sentAt: latest.sentAt, note: latest.note, heldAt: latest.heldAt, heldReason: latest.heldReason, resolvedBy: latest.resolvedBy, resolvedAt: latest.resolvedAt } : null,
  };
}
