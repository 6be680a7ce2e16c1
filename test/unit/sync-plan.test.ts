import { describe, expect, it } from 'vitest';
import {
  advanceCheckpoint,
  filterNewUids,
  planSync,
  type FolderStatus,
  planBatches,
  type SyncCheckpoint,
} from '../../src/audit/sync-plan.ts';

const stored: SyncCheckpoint = { uidValidity: 1_700_000_000n, lastUid: 10, highestModseq: 500n };
const unchanged: FolderStatus = { uidValidity: 1_700_000_000n, uidNext: 11, highestModseq: 500n, messages: 7 };

describe('planSync', () => {
  it('reads everything on the first sync', () => {
    expect(planSync(null, unchanged)).toEqual({ action: 'reset', fromUid: 1, reason: 'first_sync' });
    expect(planSync({ uidValidity: null, lastUid: 0, highestModseq: null }, unchanged)).toEqual({
      action: 'reset',
      fromUid: 1,
      reason: 'first_sync',
    });
  });

  it('reads everything again when UIDVALIDITY changes', () => {
    expect(planSync(stored, { ...unchanged, uidValidity: 1_700_000_001n })).toEqual({
      action: 'reset',
      fromUid: 1,
      reason: 'uidvalidity_changed',
    });
  });

  it('compares UIDVALIDITY by value, whether it comes as a number or a bigint', () => {
    expect(planSync({ ...stored, uidValidity: 42 }, { ...unchanged, uidValidity: 42n }).action).toBe('none');
    expect(planSync({ ...stored, uidValidity: 42n }, { ...unchanged, uidValidity: 43 }).action).toBe('reset');
  });

  it('does nothing when no UID was added and HIGHESTMODSEQ did not move', () => {
    expect(planSync(stored, unchanged)).toEqual({ action: 'none', reason: 'unchanged' });
  });

  it('does nothing without CONDSTORE when no UID was added', () => {
    const withoutModseq = { ...stored, highestModseq: null };
    expect(planSync(withoutModseq, { ...unchanged, highestModseq: null })).toEqual({ action: 'none', reason: 'unchanged' });
    expect(planSync(withoutModseq, { ...unchanged, highestModseq: 900n })).toEqual({ action: 'none', reason: 'unchanged' });
  });

  it('fetches from the next UID when new UIDs exist', () => {
    expect(planSync(stored, { ...unchanged, uidNext: 14, highestModseq: 503n, messages: 10 })).toEqual({
      action: 'fetch',
      fromUid: 11,
      reason: 'new_uids',
    });
  });

  it('fetches once more when HIGHESTMODSEQ moved though UIDNEXT did not', () => {
    expect(planSync(stored, { ...unchanged, highestModseq: 501n })).toEqual({
      action: 'fetch',
      fromUid: 11,
      reason: 'modseq_changed',
    });
  });

  it('does nothing for an empty folder, even if UIDs were used and expunged', () => {
    expect(planSync(stored, { ...unchanged, uidNext: 30, messages: 0 })).toEqual({ action: 'none', reason: 'empty' });
  });
});

describe('filterNewUids', () => {
  it('drops the last message that `N:*` returns when nothing is new', () => {
    expect(filterNewUids([10], 10)).toEqual([]);
  });

  it('keeps the new UIDs, ascending, once each', () => {
    expect(filterNewUids([13, 10, 11, 13, 12], 10)).toEqual([11, 12, 13]);
  });
});

describe('advanceCheckpoint', () => {
  it('moves to the highest UID stored and records the new HIGHESTMODSEQ', () => {
    const status = { ...unchanged, uidNext: 14, highestModseq: 503n, messages: 10 };
    const plan = planSync(stored, status);
    expect(advanceCheckpoint(stored, status, plan, [11, 12, 13])).toEqual({
      uidValidity: 1_700_000_000n,
      lastUid: 13,
      highestModseq: 503n,
    });
  });

  it('moves past UIDs expunged before they could be fetched, so the next poll costs nothing', () => {
    const status = { ...unchanged, uidNext: 14, highestModseq: 504n, messages: 8 };
    const plan = planSync(stored, status);
    const next = advanceCheckpoint(stored, status, plan, [11]);
    expect(next.lastUid).toBe(13);
    expect(planSync(next, status)).toEqual({ action: 'none', reason: 'unchanged' });
  });

  it('keeps UIDs that arrived between STATUS and FETCH', () => {
    const status = { ...unchanged, uidNext: 12, messages: 8 };
    expect(advanceCheckpoint(stored, status, planSync(stored, status), [11, 12]).lastUid).toBe(12);
  });

  it('starts over from the new UIDVALIDITY after a reset', () => {
    const status = { ...unchanged, uidValidity: 7n, uidNext: 4, messages: 3 };
    const plan = planSync(stored, status);
    expect(plan.action).toBe('reset');
    const next = advanceCheckpoint(stored, status, plan, [1, 2, 3]);
    expect(next).toEqual({ uidValidity: 7n, lastUid: 3, highestModseq: 500n });
    expect(planSync(next, status).action).toBe('none');
  });

  it('leaves an unchanged folder where it was', () => {
    expect(advanceCheckpoint(stored, unchanged, planSync(stored, unchanged), [])).toEqual(stored);
  });
});

describe('planBatches', () => {
  const MB = 1024 * 1024;
  const limits = { maxMessages: 500, maxBytes: 32 * MB, maxMessageBytes: 25 * MB };

  it('cuts by bytes as well as by count: 25 messages of 12 MB never share a batch beyond 32 MB', () => {
    const uids = Array.from({ length: 25 }, (_, i) => i + 1);
    const batches = planBatches(uids, () => 12 * MB, limits);
    expect(batches.flat()).toEqual(uids);
    expect(batches.every((b) => b.length * 12 * MB <= 32 * MB)).toBe(true);
    expect(batches).toHaveLength(13);
  });

  it('cuts by count when the messages are small', () => {
    const uids = Array.from({ length: 1200 }, (_, i) => i + 1);
    expect(planBatches(uids, () => 8 * 1024, limits).map((b) => b.length)).toEqual([500, 500, 200]);
  });

  it('counts a message above the size cap as its headers only, and sends one above the batch bound alone', () => {
    const sizes = new Map([[1, 30 * MB], [2, 30 * MB], [3, 1 * MB]]);
    expect(planBatches([1, 2, 3], (uid) => sizes.get(uid)!, limits)).toEqual([[1, 2, 3]]);
    expect(planBatches([1, 2, 3], (uid) => sizes.get(uid)!, { ...limits, maxMessageBytes: 40 * MB })).toEqual([[1], [2, 3]]);
  });
});
