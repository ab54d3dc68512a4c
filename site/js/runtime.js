// Main-thread client of the QuantumTime worker: one worker per page session, a ready
// promise, typed requests, progress events, and cancel = terminate + restart (works on any
// static host, no SharedArrayBuffer needed). Protocol: site/PROTOCOL.md; types: protocol.js.

/** @typedef {import("./protocol.js").WireError} WireError */
/** @typedef {import("./protocol.js").LoadReply} LoadReply */

const WORKER_URL = new URL("../worker/worker.js", import.meta.url);

export class QtError extends Error {
  /** @param {Partial<WireError>} error */
  constructor(error) {
    super(error.message || "unknown error");
    this.code = error.code || "QT-ERROR";
    this.type = error.type || "Error";
    this.traceback = error.traceback || "";
    this.line = error.line ?? null;
    this.column = error.column ?? null;
  }
}

function pageConfig() {
  const params = new URLSearchParams(location.search);
  const kernel = params.get("kernel") || document.documentElement.dataset.qtKernel || "auto";
  return { kernel };
}

class QtRuntime extends EventTarget {
  constructor() {
    super();
    this.nextId = 1;
    this.pending = new Map();
    this.info = null;
    this.stage = { done: 0, total: 4, label: "Starting…" };
    this.restarts = 0;
    this.start();
  }

  start() {
    this.info = null;
    const config = pageConfig();
    // A worker started from <head> (docs/overrides/main.html) is adopted when it matches.
    const early = globalThis.__qtEarlyWorker;
    globalThis.__qtEarlyWorker = null;
    const adopt = early && early.url === WORKER_URL.href && early.config.kernel === config.kernel;
    if (early && !adopt) early.worker.terminate();
    this.worker = adopt ? early.worker : new Worker(WORKER_URL, { type: "module", name: "qtcore" });
    this.ready = new Promise((resolve, reject) => {
      this._resolveReady = resolve;
      this._rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.worker.onmessage = (e) => this.onMessage(e.data);
    this.worker.onerror = (e) => {
      const err = new QtError({
        code: "QT-LOAD",
        message: `worker failed: ${e.message || "could not start"}`,
      });
      this._rejectReady(err);
      this.emit("fatal", err);
    };
    if (adopt) {
      this.startedAt = early.startedAt;
      for (const msg of early.messages) this.onMessage(msg);
      for (const e of early.errors) this.worker.onerror(e);
    } else {
      this.worker.postMessage({ type: "init", config });
      this.startedAt = performance.now();
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  onMessage(msg) {
    if (msg.id != null) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.buffer ? { ...msg.result, buffer: msg.buffer } : msg.result);
      else p.reject(new QtError(msg.error));
      return;
    }
    switch (msg.type) {
      case "ready":
        this.info = msg.info;
        this.stage = { done: 4, total: 4, label: "Ready" };
        this._resolveReady(msg.info);
        this.emit("ready", msg.info);
        break;
      case "progress":
        if (msg.ref == null) {
          this.stage = { done: msg.done, total: msg.total, label: msg.label };
          this.emit("stage", this.stage);
        } else {
          const p = this.pending.get(msg.ref);
          if (p?.onProgress) p.onProgress(msg);
        }
        break;
      case "fatal": {
        const err = new QtError(msg.error);
        this._rejectReady(err);
        this.emit("fatal", err);
        break;
      }
      case "log":
        this.emit("log", msg);
        break;
      default:
        break;
    }
  }

  /**
   * Send one request; resolves with its result (plus `buffer` when the worker sent bytes).
   * The result's type follows `type`: "run" -> RunReply, "sweep" -> SweepReply, ... (see
   * protocol.js); `onProgress` receives the request's `progress` events.
   * @param {import("./protocol.js").Request["type"]} type
   * @param {object} [payload]
   * @param {{onProgress?: (event: import("./protocol.js").WorkerEvent) => void}} [options]
   * @returns {Promise<any>}
   */
  request(type, payload = {}, options = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress: options.onProgress, type });
      this.worker.postMessage({ id, type, ...payload });
    });
  }

  /** Stop everything now: terminate the worker, fail pending requests, start a new one. */
  cancel() {
    this.worker.terminate();
    const err = new QtError({ code: "QT-CANCELLED", message: "cancelled by the reader" });
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.restarts += 1;
    this.emit("restart", { restarts: this.restarts });
    this.start();
  }

  get busy() {
    return this.pending.size > 0;
  }
}

let runtime = null;

/** The page's one runtime (created on first use). */
export function getRuntime() {
  if (!runtime) {
    runtime = new QtRuntime();
    globalThis.qtRuntime = runtime; // for tests and benchmarks
  }
  return runtime;
}

const KERNEL_NAMES = {
  wasm: "WebAssembly SIMD kernel",
  numpy: "NumPy kernel",
  python: "pure-Python kernel",
};

/** Which kernel runs, and why not the WebAssembly one when it is not (no SIMD, say). */
export function kernelLabel(info) {
  if (!info) return "loading…";
  const k = KERNEL_NAMES[info.kernel] || `${info.kernel} kernel`;
  const label = `qtcore ${info.qtcore} · ${k} · Pyodide ${info.pyodide}`;
  const whyNotWasm = info.kernel !== "wasm" && info.kernels ? info.kernels.wasm : null;
  return whyNotWasm ? `${label} (slower: ${whyNotWasm})` : label;
}

/** Render an error next to a widget: message, position, traceback in a details element. */
export function renderError(container, err, context = "") {
  container.replaceChildren();
  if (!err) {
    container.hidden = true;
    return;
  }
  container.hidden = false;
  const msg = document.createElement("p");
  msg.className = "qt-error__message";
  const where = err.line != null ? ` (line ${err.line}, column ${err.column})` : "";
  msg.textContent = `${context ? `${context}: ` : ""}${err.type && err.type !== "Error" ? `${err.type}: ` : ""}${err.message}${where}`;
  container.append(msg);
  if (err.traceback) {
    const d = document.createElement("details");
    const s = document.createElement("summary");
    s.textContent = "Python traceback";
    const pre = document.createElement("pre");
    pre.textContent = err.traceback;
    d.append(s, pre);
    container.append(d);
  }
}
