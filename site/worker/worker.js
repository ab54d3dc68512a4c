// QuantumTime Web Worker: runs Pyodide + qtcore off the main thread.
//
// Module worker, started by site/js/runtime.js with
//   new Worker(new URL("../worker/worker.js", import.meta.url), {type: "module"}).
// Every URL is relative to this file, so the site works under any base path and never
// talks to another host. Protocol: site/PROTOCOL.md.
//
// Requests  {id, type, ...payload}          type: load run step frames qasm relativity
//                                                  sweep scenario cancel
// Replies   {id, ok: true, result[, buffer]} | {id, ok: false, error: {code, message, traceback}}
// Events    {type: "ready"|"progress"|"frame"|"log"|"stage", ...}   (no id; `ref` = request id)

const SITE_ROOT = new URL("../../", import.meta.url);
const PYODIDE_URL = new URL("pyodide/", SITE_ROOT);
const WHEELS_URL = new URL("wheels/", SITE_ROOT);
const BRIDGE_URL = new URL("bridge.py", import.meta.url);

let pyodide = null;
let bridge = null;
let readyInfo = null;
let ready = null;
const cancelled = new Set();

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const stage = (name, n, label) =>
  post({ type: "progress", ref: null, stage: name, done: n, total: 4, label });

async function fetchOk(url, what) {
  const r = await fetch(url);
  if (!r.ok) throw Object.assign(new Error(`${what}: HTTP ${r.status} for ${url}`), { code: "QT-LOAD" });
  return r;
}

async function initRuntime(config) {
  stage("runtime", 0, "Loading the Python runtime (Pyodide)…");
  const t0 = performance.now();
  const { loadPyodide } = await import(new URL("pyodide.mjs", PYODIDE_URL).href);
  const env = { HOME: "/home/pyodide" };
  if (config.kernel === "python") env.QTCORE_KERNEL = "python";
  pyodide = await loadPyodide({
    indexURL: PYODIDE_URL.href,
    env,
    stdout: (text) => post({ type: "log", level: "info", text }),
    stderr: (text) => post({ type: "log", level: "warn", text }),
  });
  return performance.now() - t0;
}

async function initPackages(config) {
  stage("packages", 1, "Checking for NumPy…");
  let vendor = {};
  try {
    const r = await fetch(new URL("qt-vendor.json", PYODIDE_URL));
    if (r.ok) vendor = await r.json();
  } catch (_) { /* no manifest: pure-Python kernel */ }
  if (vendor.numpy && config.kernel !== "python") {
    stage("packages", 1, "Loading NumPy (WebAssembly)…");
    await pyodide.loadPackage("numpy", { messageCallback: () => {} });
  }
  return vendor;
}

async function initQtcore() {
  stage("qtcore", 2, "Installing qtcore…");
  const index = await (await fetchOk(new URL("index.json", WHEELS_URL), "wheel index")).json();
  const wheel = await (await fetchOk(new URL(index.qtcore, WHEELS_URL), "qtcore wheel")).arrayBuffer();
  pyodide.unpackArchive(wheel, "wheel");
  stage("bridge", 3, "Starting the bridge…");
  const source = await (await fetchOk(BRIDGE_URL, "bridge.py")).text();
  pyodide.FS.mkdirTree("/home/pyodide/qt");
  pyodide.FS.writeFile("/home/pyodide/qt/qt_bridge.py", source);
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/qt')");
  bridge = pyodide.pyimport("qt_bridge");
  return index;
}

async function init(config) {
  const t0 = performance.now();
  const runtimeMs = await initRuntime(config);
  const vendor = await initPackages(config);
  const wheel = await initQtcore();
  const loaded = JSON.parse(bridge.call("load", "{}"));
  if (!loaded.ok) throw Object.assign(new Error(loaded.error.message), { code: loaded.error.code, traceback: loaded.error.traceback });
  readyInfo = {
    ...loaded.result,
    pyodide: pyodide.version,
    wheel: wheel.qtcore,
    numpyVendored: Boolean(vendor.numpy),
    runtimeMs,
    loadMs: performance.now() - t0,
  };
  stage("ready", 4, "Ready");
  post({ type: "ready", info: readyInfo });
  return readyInfo;
}

function errorOf(err, code = "QT-WORKER") {
  return {
    code: err && err.code ? err.code : code,
    type: err && err.name ? err.name : "Error",
    message: String(err && err.message ? err.message : err),
    traceback: (err && (err.traceback || err.stack)) || "",
  };
}

function handle(msg) {
  const { id, type, ...payload } = msg;
  if (type === "load") {
    post({ id, ok: true, result: readyInfo });
    return;
  }
  if (cancelled.has(id)) {
    cancelled.delete(id);
    post({ id, ok: false, error: { code: "QT-CANCELLED", message: "cancelled before it started", traceback: "" } });
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
    if (bytes.byteLength) buffer = bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
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
