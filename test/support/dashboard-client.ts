/** A signed-in dashboard session through `inject`: a cookie jar, GET and form POST, the CSRF token of a page. */
import type { TestContext } from './context.ts';

type App = TestContext['app'];

export interface Jar {
  cookies: Map<string, string>;
}

export const newJar = (): Jar => ({ cookies: new Map() });
const cookieHeader = (jar: Jar) => [...jar.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

function keep(jar: Jar, setCookie: string | string[] | undefined) {
  for (const line of [setCookie ?? []].flat()) {
    const [pair] = line.split(';');
    const [name, ...rest] = pair!.split('=');
    const value = rest.join('=');
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) jar.cookies.delete(name!.trim());
    else jar.cookies.set(name!.trim(), value);
  }
}

export async function get(app: App, jar: Jar, url: string, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: cookieHeader(jar), ...headers } });
  keep(jar, res.headers['set-cookie']);
  return res;
}

export async function post(app: App, jar: Jar, url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  });
  keep(jar, res.headers['set-cookie']);
  return res;
}

export const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

export async function signIn(app: App, key: string, headers: Record<string, string> = {}) {
  const jar = newJar();
  const form = await get(app, jar, '/login', headers);
  const res = await post(app, jar, '/login', { _csrf: csrfOf(form.body), key }, headers);
  if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode}`);
  return jar;
}
