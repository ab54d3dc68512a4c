// HTTP client of the QuantumTime registry (registry_api/PROTOCOL.md): where it lives, whether
// it answers, the access token, and JSON/binary requests with errors that name what went
// wrong (401/403/413/400 + field/503). The sign-in UI is in registry-signin.js.
//
// Where the registry lives, first match wins:
//   1. <meta name="qt-registry" content="https://registry.example/api/v1"> in the page
//      (written by docs/overrides/main.html from mkdocs.yml `extra: qt_registry: ...`);
//   2. the page's own origin, `/api/v1` (`python -m registry_api serve --site-dir public`).
// The token lives in sessionStorage (per tab, gone when the tab closes), never in a page URL.
// Browsers cannot set headers on a WebSocket, so sockets carry it as `?token=` (PROTOCOL.md).

const TOKEN_KEY = "qt-registry-token";

export class RegistryError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, field?: string|null, code?: string}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = "RegistryError";
    this.status = info.status ?? 0;
    this.field = info.field ?? null;
    this.code = info.code || (this.status ? `HTTP-${this.status}` : "UNAVAILABLE");
  }
}

/** The registry's API base URL, ending in "/" (e.g. "http://host/api/v1/"). */
export function registryBase() {
  const meta = document.querySelector('meta[name="qt-registry"]');
  const raw = meta?.content.trim();
  const url = raw ? new URL(raw, location.href) : new URL("/api/v1/", location.origin);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

/** URL of `path` (relative, e.g. "runs?limit=1") under the API base. */
export function apiUrl(path) {
  return new URL(path.replace(/^\//, ""), registryBase());
}

/** The same URL with ws:/wss: for a WebSocket path such as "/api/v1/sessions/<id>/watch". */
export function wsUrl(path, params = {}) {
  const base = registryBase();
  const url = path.startsWith("/") ? new URL(path, base.origin) : new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [k, v] of Object.entries(params)) if (v != null) url.searchParams.set(k, v);
  return url;
}

// ------------------------------------------------------------------ availability
let probe = null;

/**
 * Does a registry answer at the base URL? A registry answers its public `GET /api/v1`
 * with its service info as JSON; a static host answers 404 HTML or not at all. Cached per page.
 * @returns {Promise<boolean>}
 */
export function registryAvailable() {
  if (!probe) {
    // GET /api/v1 is public: no token, no 401 in the console on a signed-out page.
    probe = fetch(new URL(registryBase().href.replace(/\/$/, "")), {
      headers: { Accept: "application/json" },
    })
      .then(async (r) => {
        if (r.status !== 200) return false;
        if (!(r.headers.get("content-type") || "").includes("json")) return false;
        const info = await r.json();
        return info.service === "quantumtime-registry";
      })
      .catch(() => false);
  }
  return probe;
}

/** The message shown when no registry answers. */
export function unavailableMessage() {
  return (
    `The registry is unavailable: nothing answers at ${registryBase().href} (this copy of ` +
    "the site may be statically hosted). Serve it with `python -m registry_api serve " +
    '--site-dir public`, or point <meta name="qt-registry"> at a registry.'
  );
}

// ------------------------------------------------------------------ token
/** The stored session {token, role, username, expiresAt, base}, or null if none/expired. */
export function currentSession() {
  let s = null;
  try {
    s = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
  } catch (_) {
    s = null;
  }
  if (!s || s.base !== registryBase().href || Date.now() > s.expiresAt - 5000) return null;
  return s;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  document.dispatchEvent(new CustomEvent("qt-registry-auth", { detail: null }));
}

/** Exchange credentials for a token (POST /token) and keep it in sessionStorage. */
export async function login(username, password) {
  const r = await request("token", { method: "POST", body: { username, password }, auth: false });
  const session = {
    token: r.accessToken,
    role: r.role,
    username,
    expiresAt: Date.now() + 1000 * (r.expiresIn || 900),
    base: registryBase().href,
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
  document.dispatchEvent(new CustomEvent("qt-registry-auth", { detail: session }));
  return session;
}

const ROLES = ["viewer", "researcher", "admin"];

/** True when `role` includes `needed` (viewer < researcher < admin). */
export function roleAtLeast(role, needed) {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

// ------------------------------------------------------------------ requests
async function errorFrom(r) {
  let body = null;
  try {
    body = await r.json();
  } catch (_) {
    body = null;
  }
  const detail = (body && (body.detail || body.message)) || r.statusText || "request failed";
  const extra = body && Array.isArray(body.extra) ? body.extra : [];
  const field = extra.length ? extra[0].key || null : null;
  let message;
  switch (r.status) {
    case 400:
      message = extra.length
        ? `Rejected (400): ${extra.map((x) => `${x.key ? `field “${x.key}”: ` : ""}${x.message}`).join("; ")}`
        : `Rejected (400): ${detail}`;
      break;
    case 401:
      message = `Not signed in or the session expired (401): ${detail}`;
      break;
    case 403:
      message = `Not allowed (403): ${detail}`;
      break;
    case 404:
      message = `Not found (404): ${detail}`;
      break;
    case 413:
      message = `Too large (413): ${detail}`;
      break;
    case 503:
      message = `The registry's database or stream store is down (503): ${detail}; try again later`;
      break;
    default:
      message = `Registry error (${r.status}): ${detail}`;
  }
  return new RegistryError(message, { status: r.status, field });
}

/**
 * One API request. `body` objects are sent as JSON. Resolves with parsed JSON, or an
 * ArrayBuffer when `binary` is set.
 * @param {string} path relative to the API base, e.g. "runs?limit=10"
 * @param {{method?: string, body?: any, auth?: boolean, binary?: boolean}} [options]
 */
export async function request(path, options = {}) {
  const { method = "GET", body, auth = true, binary = false } = options;
  const headers = { Accept: binary ? "application/octet-stream" : "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const s = currentSession();
    if (s) headers.Authorization = `Bearer ${s.token}`;
  }
  let r;
  try {
    r = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new RegistryError(`${unavailableMessage()} (${err.message})`, { code: "UNAVAILABLE" });
  }
  if (!r.ok) {
    const err = await errorFrom(r);
    if (r.status === 401 && auth) signOut();
    throw err;
  }
  if (binary) return r.arrayBuffer();
  if (r.status === 204) return null;
  return r.json();
}

/** Base64 of bytes (chunked: frame streams can be megabytes). */
export function toBase64(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Link to the run detail view on the site's Runs page. */
export function runLink(id) {
  return new URL(`registry/runs/?run=${encodeURIComponent(id)}`, new URL("../../", import.meta.url))
    .href;
}

/** Link to the watch page for a session. */
export function watchLink(id) {
  return new URL(
    `registry/watch/?session=${encodeURIComponent(id)}`,
    new URL("../../", import.meta.url),
  ).href;
}
