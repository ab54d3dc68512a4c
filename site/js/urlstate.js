// Widget state <-> URL hash. Each widget owns one key `qt-<id>` whose value is base64url
// JSON, so a link reproduces every widget on the page. Quirk's `#circuit={...}` fragment is
// read separately (see quirk.js).

function toB64(obj) {
  const bytes = new TextEncoder().encode(JSON.stringify(obj));
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function hashParams() {
  const raw = location.hash.slice(1);
  // Quirk links put raw JSON in the fragment; keep only our key=value pairs.
  const out = new Map();
  for (const part of raw.split("&")) {
    const i = part.indexOf("=");
    if (i > 0 && part.startsWith("qt-")) out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

/** The saved state of widget `id`, or null. */
export function readState(id) {
  const value = hashParams().get(`qt-${id}`);
  if (!value) return null;
  try {
    return fromB64(value);
  } catch (_) {
    return null;
  }
}

/** Save the state of widget `id` in the URL (replaceState: no history entry per edit). */
export function writeState(id, state) {
  const params = hashParams();
  params.set(`qt-${id}`, toB64(state));
  const hash = [...params].map(([k, v]) => `${k}=${v}`).join("&");
  history.replaceState(history.state, "", `${location.pathname}${location.search}#${hash}`);
}

/** Forget the saved state of widget `id` (a widget about to show something new). */
export function clearState(id) {
  const params = hashParams();
  if (!params.delete(`qt-${id}`)) return;
  const hash = [...params].map(([k, v]) => `${k}=${v}`).join("&");
  const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ""}`;
  history.replaceState(history.state, "", url);
}

/** The raw Quirk circuit JSON in the fragment (`#circuit=...`), or null. */
export function readQuirkFragment(hash = location.hash) {
  const m = /(?:^#|&)circuit=([^&]*)/.exec(hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch (_) {
    return m[1];
  }
}

let counter = 0;
/** A stable id for a widget: its id attribute, else tag + index on the page. */
export function widgetId(el) {
  if (el.id) return el.id;
  const same = [...document.querySelectorAll(el.tagName)];
  const i = same.indexOf(el);
  el.id = `${el.tagName.toLowerCase()}-${i >= 0 ? i : counter++}`;
  return el.id;
}
