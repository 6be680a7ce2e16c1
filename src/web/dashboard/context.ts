/**
 * What every dashboard handler knows of its request: who is signed in (checked against the
 * database on each request), the language from `Accept-Language` (French first), a CSRF
 * token bound to the session, and a formatter for figures and times.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiRole } from '../../db/api-keys.repo.ts';
import { hasRole } from '../../flow/identify-key.ts';
import { createFormatter, type Formatter } from '../format.ts';
import { pickLang, type Lang } from '../i18n.ts';
import { STRINGS, type Strings } from './strings.ts';

/** The signed-in key, as the database says now. */
export interface Viewer {
  sid: string;
  keyId: string | null;
  role: ApiRole;
  label: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
  interface FastifyContextConfig {
    /** A dashboard page anyone may see (sign-in, assets). */
    dashboardPublic?: boolean;
    /** A static asset: served to anyone, without looking at the session. */
    dashboardAsset?: boolean;
    /** The role a dashboard action needs; pages need a signed-in key of any role. */
    dashboardRole?: ApiRole;
  }
}

/** What CSRF tokens are bound to before anyone signs in (the sign-in form). */
export const ANONYMOUS = 'anonymous';

/** Times on pages that belong to no campaign. */
export const DEFAULT_TIMEZONE = 'Europe/Paris';

export interface PageContext {
  lang: Lang;
  t: Strings;
  viewer: Viewer | null;
  csrfToken: string;
  fmt: Formatter;
  /** What the viewer's role allows: actions are only shown to those who may take them. */
  canAct: boolean;
}

export interface ContextOptions {
  /** Whether the request came over TLS (the CSRF cookie is then `Secure`). */
  secure: (request: FastifyRequest) => boolean;
}

export function pageContext(request: FastifyRequest, reply: FastifyReply, options: ContextOptions, timeZone = DEFAULT_TIMEZONE): PageContext {
  const lang = pickLang(request.headers['accept-language'], 'fr');
  const viewer = request.viewer;
  const csrfToken = reply.generateCsrf({ userInfo: viewer?.sid ?? ANONYMOUS, secure: options.secure(request) } as never);
  return {
    lang,
    t: STRINGS[lang],
    viewer,
    csrfToken,
    fmt: createFormatter(lang, timeZone),
    canAct: viewer !== null && hasRole(viewer.role, 'auditor'),
  };
}
