// SPDX-License-Identifier: GPL-3.0-or-later
// The one place that talks to smbtad's web API: session, CSRF header, errors, query URLs.

let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token;
}

// Why: callers need the status (401, 403, 429) and Retry-After, not only a message.
export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

async function request(method, url, body, { redirectOn401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.ok) return res;
  if (res.status === 401 && redirectOn401) {
    window.location.assign('/login.html');
  }
  let message = `${res.status} ${res.statusText}`;
  try {
    const j = await res.json();
    if (j && j.error) message = j.error;
  } catch {
    /* not JSON: keep the status line */
  }
  throw new ApiError(res.status, message, res.headers.get('Retry-After'));
}

export async function getJson(url) {
  return (await request('GET', url)).json();
}

export async function getText(url) {
  return (await request('GET', url)).text();
}

export async function login(user, password) {
  const res = await request('POST', '/api/login', { user, password }, { redirectOn401: false });
  const s = await res.json();
  setCsrf(s.csrf);
  return s;
}

export async function session() {
  const res = await request('GET', '/api/session', undefined, { redirectOn401: false });
  const s = await res.json();
  setCsrf(s.csrf);
  return s;
}

export async function logout() {
  await request('POST', '/api/logout');
}

export async function post(url, body) {
  return request('POST', url, body);
}

export async function del(url) {
  return request('DELETE', url);
}

// range: { from?: string, to?: string } in smbtaquery's time syntax.
export function queryUrl(q, format = 'json', range = {}) {
  const p = new URLSearchParams({ q, format });
  if (range.from) p.set('from', range.from);
  if (range.to) p.set('to', range.to);
  return `/api/query?${p}`;
}

// The JSON document smbtaquery -o json prints: { results: [{ function, title, columns, rows }] }.
export async function query(q, range = {}) {
  return getJson(queryUrl(q, 'json', range));
}

export function objectsUrl(kind, filters = {}) {
  const p = new URLSearchParams({ kind });
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return `/api/objects?${p}`;
}

export async function objects(kind, filters = {}) {
  return getJson(objectsUrl(kind, filters));
}
