// QuantumTime Web Worker: runs Pyodide + qtcore off the main thread.
//
// Module worker, started by site/js/runtime.js with
//   new Worker(new URL("../worker/worker.js", import.meta.url), {type: "module"}).
// Every URL is relative to this file, so the site works under any base path and never
// talks to another host. Protocol: site/PROTOCOL.md; its types: site/js/protocol.js.
//
// Requests  {id, type, ...payload}          type: load run qasm relativity sweep scenario cancel
// Replies   {id, ok: true, result[, buffer]} | {id, ok: false, error: {code, type, message, ...}}
// Events    {type: "ready"|"progress"|"log"|"fatal", ...}   (no id; `ref` = request id)
//
// The Python end is bridge.py (imported as `qt_bridge`): `call(type, json, progress)` returns
// the reply envelope as JSON and leaves any frame bytes for `take_buffer()`.

/** @typedef {import("../js/protocol.js").Request} Request */
/** @typedef {import("../js/protocol.js").Reply} Reply */
/** @typedef {import("../js/protocol.js").WorkerEvent} WorkerEvent */
/** @typedef {import("../js/protocol.js").LoadReply} LoadReply */
/** @typedef {import("../js/protocol.js").WireError} WireError */

const SITE_ROOT = new URL("../../", import.meta.url);
const PYODIDE_URL = new URL("pyodide/", SITE_ROOT);
const WHEELS_URL = new URL("wheels/", SITE_ROOT);
const BRIDGE_URL = new URL("bridge.py", import.meta.url);

let pyodide = null;
let bridge = null;
let readyInfo = null;
let ready = null;
const cancelled = new Set();
// Start-up timings (ms since this worker's timeOrigin), reported in `info.timings`.
const marks = [["script", performance.now()]];
const mark = (name) => marks.push([name, performance.now()]);

/** @type {(msg: Reply | WorkerEvent, transfer?: Transferable[]) => void} */
const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const stage = (name, n, label) =>
  post({ type: "progress", ref: null, stage: name, done: n, total: 4, label });

async function fetchOk(url, what) {
  const r = await fetch(url);
  if (!r.ok)
    throw Object.assign(new Error(`${what}: HTTP ${r.status} for ${url}`), { code: "QT-LOAD" });
  return r;
}

async function initRuntime(config, files) {
  stage("runtime", 0, "Loading the Python runtime (Pyodide)…");
  const t0 = performance.now();
  const { loadPyodide } = await early.pyodideModule;
  mark("pyodide.mjs");
  const env = { HOME: "/home/pyodide" };
  if (config.kernel === "python") env.QTCORE_KERNEL = "python";
  // Package wheels come from this site's own pyodide/ folder, unless the operator configured
  // a package URL at build time (qt-vendor.json "packageBaseUrl", see the self-hosting page).
  const vendor = await files.vendor;
  pyodide = await loadPyodide({
    indexURL: PYODIDE_URL.href,
    packageBaseUrl: vendor.packageBaseUrl || PYODIDE_URL.href,
    env,
    stdout: (text) => post({ type: "log", level: "info", text }),
    stderr: (text) => post({ type: "log", level: "warn", text }),
  });
  mark("loadPyodide");
  return performance.now() - t0;
}

// The small same-origin files the later stages need, fetched while Pyodide boots (they do not
// depend on it), so no stage waits for the network after loadPyodide returns.
function prefetch() {
  const vendor = fetch(new URL("qt-vendor.json", PYODIDE_URL))
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({})); // no manifest: pure-Python kernel
  const index = fetchOk(new URL("index.json", WHEELS_URL), "wheel index").then((r) => r.json());
  const wheel = index.then(async (idx) => {
    const r = await fetchOk(new URL(idx.qtcore, WHEELS_URL), "qtcore wheel");
    return r.arrayBuffer();
  });
  const bridgeSource = fetchOk(BRIDGE_URL, "bridge.py").then((r) => r.text());
  const all = { vendor, index, wheel, bridgeSource };
  // Failures surface when a stage awaits the promise; keep them from being "unhandled".
  for (const p of Object.values(all)) p.catch(() => {});
  return all;
}

async function initPackages(config, files) {
  stage("packages", 1, "Checking for NumPy…");
  const vendor = await files.vendor;
  if ((vendor.numpy || vendor.packageBaseUrl) && config.kernel !== "python") {
    stage("packages", 1, "Loading NumPy (WebAssembly)…");
    try {
      await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: () => {} });
    } catch (err) {
      // Not fatal: qtcore's pure-Python kernel gives the same results, only slower.
      post({
        type: "log",
        level: "warn",
        text: `NumPy could not be loaded (${err.message || err}); using the pure-Python kernel`,
      });
    }
  }
  return vendor;
}

async function initQtcore(files) {
  stage("qtcore", 2, "Installing qtcore…");
  const index = await files.index;
  const wheel = await files.wheel;
  mark("wheel fetched");
  pyodide.unpackArchive(wheel, "wheel");
  mark("wheel unpacked");
  stage("bridge", 3, "Starting the bridge…");
  const source = await files.bridgeSource;
  pyodide.FS.mkdirTree("/home/pyodide/qt");
  pyodide.FS.writeFile("/home/pyodide/qt/qt_bridge.py", source);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/qt')");
  bridge = pyodide.pyimport("qt_bridge");
  mark("bridge imported");
  return index;
}

// Started as soon as this script runs, not when the page's `init` arrives (100-200 ms later
// on a warm start): neither Pyodide's module nor the prefetched files depend on its config.
const early = {
  pyodideModule: import(new URL("pyodide.mjs", PYODIDE_URL).href),
  files: prefetch(),
};
early.pyodideModule.catch(() => {}); // surfaces in initRuntime, which awaits it

async function init(config) {
  const t0 = performance.now();
  const files = early.files;
  const runtimeMs = await initRuntime(config, files);
  const vendor = await initPackages(config, files);
  const wheel = await initQtcore(files);
  const loaded = JSON.parse(bridge.call("load", "{}"));
  mark("bridge load");
  if (!loaded.ok)
    throw Object.assign(new Error(loaded.error.message), {
      code: loaded.error.code,
      traceback: loaded.error.traceback,
    });
  readyInfo = {
    ...loaded.result,
    pyodide: pyodide.version,
    wheel: wheel.qtcore,
    numpyVendored: Boolean(vendor.numpy),
    packageBaseUrl: vendor.packageBaseUrl || null,
    runtimeMs,
    loadMs: performance.now() - t0,
    timings: { origin: performance.timeOrigin, marks },
  };
  stage("ready", 4, "Ready");
  post({ type: "ready", info: readyInfo });
  return readyInfo;
}

/** @returns {WireError} */
function errorOf(err, code = "QT-WORKER") {
  return {
    code: err?.code ? err.code : code,
    type: err?.name ? err.name : "Error",
    message: String(err?.message ? err.message : err),
    traceback: (err && (err.traceback || err.stack)) || "",
  };
}

/** @param {Request} msg */
function handle(msg) {
  const { id, type, ...payload } = msg;
  if (type === "load") {
    post({ id, ok: true, result: readyInfo });
    return;
  }
  if (cancelled.has(id)) {
    cancelled.delete(id);
    post({
      id,
      ok: false,
      error: { code: "QT-CANCELLED", message: "cancelled before it started", traceback: "" },
    });
    return;
  }
  const progress = (done, total, info) => {
    post({ type: "progress", ref: id, done, total, info: info ? JSON.parse(info) : null });
  };
  const envelope = JSON.parse(bridge.call(type, JSON.stringify(payload), progress));
  const bufProxy = bridge.take_buffer();
  let buffer = null;
  try {
    const bytes = bufProxy.toJs();
    if (bytes.byteLength)
      buffer = bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
  } finally {
    bufProxy.destroy();
  }
  if (envelope.ok) {
    const reply = { id, ok: true, result: envelope.result };
    if (buffer) reply.buffer = buffer;
    post(reply, buffer ? [buffer] : []); // transferred, not copied
  } else {
    post({ id, ok: false, error: envelope.error });
  }
}

// Requests are queued and run one at a time; between two requests the worker yields to its
// event loop, so a `cancel` for a queued request is seen before that request starts.
const queue = [];
let draining = false;
async function drain() {
  if (draining) return;
  draining = true;
  try {
    while (queue.length) {
      await new Promise((r) => setTimeout(r, 0));
      const msg = queue.shift();
      try {
        await ready;
        handle(msg);
      } catch (err) {
        post({ id: msg.id, ok: false, error: errorOf(err) });
      }
    }
  } finally {
    draining = false;
  }
}

self.onmessage = (event) => {
  const msg = event.data || {};
  if (msg.type === "init") {
    ready = init(msg.config || {});
    ready.catch((err) => post({ type: "fatal", error: errorOf(err, "QT-LOAD") }));
    return;
  }
  if (msg.type === "cancel") {
    // Cancels a queued request; a running one is stopped by the page terminating the worker.
    if (msg.target != null) cancelled.add(msg.target);
    post({ id: msg.id, ok: true, result: { queued: msg.target != null } });
    return;
  }
  queue.push(msg);
  drain();
};
