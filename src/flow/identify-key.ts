/**
 * Who holds an API key: the admin key from the environment, or a stored key that is not
 * revoked. The API checks the bearer key with it on every request, the dashboard the key
 * typed into its sign-in form.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { findApiKeyBySecret, touchApiKey, type ApiRole } from '../db/api-keys.repo.ts';
import type { Queryable } from '../db/pool.ts';

export interface KeyHolder {
  /** The stored key's id; null for the environment's admin key. */
  keyId: string | null;
  role: ApiRole;
  label: string;
}

export const ENV_ADMIN_LABEL = 'SONDE_ADMIN_KEY';

const sha256 = (text: string) => createHash('sha256').update(text).digest();

export function createKeyIdentifier(deps: { db: Queryable; adminKey: string | null }): (key: string) => Promise<KeyHolder | null> {
  const adminHash = deps.adminKey ? sha256(deps.adminKey) : null;
  return async (key) => {
    if (adminHash && timingSafeEqual(sha256(key), adminHash)) return { keyId: null, role: 'admin', label: ENV_ADMIN_LABEL };
    const found = await findApiKeyBySecret(deps.db, key);
    if (!found) return null;
    void touchApiKey(deps.db, found.id).catch(() => {});
    return { keyId: found.id, role: found.role, label: found.label };
  };
}

const RANK: Record<ApiRole, number> = { reader: 1, auditor: 2, admin: 3 };

/** `admin` does everything an `auditor` does, who does everything a `reader` does. */
export const hasRole = (role: ApiRole, needed: ApiRole): boolean => RANK[role] >= RANK[needed];
