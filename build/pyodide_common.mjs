// Shared helpers for running Python under the pinned Pyodide (npm `pyodide`) in Node.js.
//
// Used by build/pyodide_test.mjs (the offline test run) and build/pyodide_run.mjs (run one
// Python file or snippet, e.g. for benchmarks). No network: Pyodide is loaded from
// node_modules, extra wheels come from local files, and `fetch` of any http(s) URL throws.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const PYODIDE_DIR = path.join(REPO_ROOT, "node_modules", "pyodide");
export const TEST_WHEELS_DIR = path.join(REPO_ROOT, ".cache", "test-wheels");
/** Where the repository is mounted inside Pyodide's file system. */
export const MOUNT_POINT = "/repo";

/** An error whose message is printed without a stack trace (bad setup, not a bug). */
export class SetupError extends Error {}

/** Refuse any network request: everything must come from local files. */
export function blockNetwork() {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : (input?.url ?? String(input));
    if (/^(https?|wss?):/i.test(url)) {
      throw new Error(`network access is disabled in this run (tried ${url})`);
    }
    return realFetch(input, init);
  };
}

/** sha256 of a buffer as lowercase hex. */
export function sha256Hex(buffer) {
  return createHash("sha256").update(buffer).digest("hex");
}

/** A file's bytes as a plain Uint8Array: Pyodide does not take a Node Buffer. */
export function readBytes(file) {
  const buffer = readFileSync(file);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Load Pyodide from node_modules with stdout/stderr passed through byte for byte.
 *
 * @param {{env?: Record<string, string>}} [options]
 * @returns {Promise<{pyodide: any, loadMs: number}>}
 */
export async function loadRuntime({ env = {} } = {}) {
  if (!existsSync(path.join(PYODIDE_DIR, "pyodide.mjs"))) {
    throw new SetupError(
      `Pyodide is not installed at ${PYODIDE_DIR}; run \`npm ci\` in ${REPO_ROOT} first`,
    );
  }
  blockNetwork();
  const { loadPyodide } = await import(path.join(PYODIDE_DIR, "pyodide.mjs"));
  const started = performance.now();
  const pyodide = await loadPyodide({
    indexURL: PYODIDE_DIR + path.sep,
    // Packages from the lock file are never loaded here; point the cache at the local folder so
    // that an accidental loadPackage fails on a missing file instead of reaching a CDN.
    packageCacheDir: PYODIDE_DIR,
    env: { HOME: "/home/pyodide", PYTHONHASHSEED: "0", ...env },
  });
  const write = (stream) => ({
    write: (buffer) => {
      stream.write(buffer);
      return buffer.length;
    },
  });
  pyodide.setStdout(write(process.stdout));
  pyodide.setStderr(write(process.stderr));
  // Emscripten would tunnel Python sockets through WebSockets: refuse them too.
  pyodide.runPython(`
import socket

def _network_disabled(*args, **kwargs):
    raise OSError("network access is disabled in this run")

socket.getaddrinfo = _network_disabled
socket.create_connection = _network_disabled
socket.socket.connect = _network_disabled
socket.socket.connect_ex = _network_disabled
del socket, _network_disabled
`);
  return { pyodide, loadMs: performance.now() - started };
}

/**
 * Unpack wheels into Pyodide's site-packages after checking their sha256.
 *
 * @param {any} pyodide
 * @param {{path: string, sha256?: string}[]} wheels
 */
export function installWheels(pyodide, wheels) {
  // unpackArchive extracts into the working directory unless told otherwise.
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of wheels) {
    if (!existsSync(wheel.path)) {
      throw new SetupError(`wheel not found: ${wheel.path}`);
    }
    const bytes = readBytes(wheel.path);
    if (wheel.sha256 && sha256Hex(bytes) !== wheel.sha256) {
      throw new SetupError(`sha256 mismatch for ${wheel.path} (expected ${wheel.sha256})`);
    }
    pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
  }
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
}

/**
 * The pytest/hypothesis wheels listed in the manifest written by build/fetch_test_wheels.py.
 *
 * @param {string} [dir]
 * @returns {{path: string, sha256: string, name: string, version: string}[]}
 */
export function testWheels(dir = TEST_WHEELS_DIR) {
  const manifestPath = path.join(dir, "manifest.json");
  if (!existsSync(manifestPath)) {
    throw new SetupError(
      `no test wheels in ${dir}; run \`python build/fetch_test_wheels.py\` first`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  return manifest.wheels.map((w) => ({ ...w, path: path.join(dir, w.file_name) }));
}

/**
 * Mount the repository at MOUNT_POINT (NODEFS: files are read from the host directly), make
 * it the working directory and put it first on sys.path. Bytecode writing is switched off so
 * nothing is written into the host tree.
 *
 * @param {any} pyodide
 * @param {{onPath?: boolean}} [options] onPath=false leaves sys.path alone (wheel mode).
 */
export function mountRepo(pyodide, { onPath = true } = {}) {
  pyodide.FS.mkdirTree(MOUNT_POINT);
  pyodide.mountNodeFS(MOUNT_POINT, REPO_ROOT);
  pyodide.runPython(`
import os, sys
sys.dont_write_bytecode = True
os.chdir(${JSON.stringify(MOUNT_POINT)})
if ${onPath ? "True" : "False"}:
    sys.path.insert(0, ${JSON.stringify(MOUNT_POINT)})
else:  # '' (the working directory) would shadow the installed package with the source tree
    sys.path[:] = [p for p in sys.path if p not in ("", ".", ${JSON.stringify(MOUNT_POINT)})]
`);
}

/** Format milliseconds as seconds with two decimals. */
export function seconds(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Run `main` and map its result/exception to the process exit code. */
export function runMain(main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      if (err instanceof SetupError) {
        console.error(`error: ${err.message}`);
      } else if (err?.constructor?.name === "PythonError") {
        console.error(err.message); // the Python traceback; the JS stack adds nothing
      } else {
        console.error(err);
      }
      process.exitCode = 2;
    },
  );
}

/** The most recently built dist/qtcore-*.whl (what `--wheel` without a path means). */
export function newestWheel() {
  const dist = path.join(REPO_ROOT, "dist");
  const wheels = existsSync(dist)
    ? readdirSync(dist).filter((f) => /^qtcore-.*-py3-none-any\.whl$/.test(f))
    : [];
  if (wheels.length === 0) {
    throw new SetupError("no dist/qtcore-*.whl; run `make wheel` first");
  }
  wheels.sort(
    (a, b) => statSync(path.join(dist, b)).mtimeMs - statSync(path.join(dist, a)).mtimeMs,
  );
  return path.join(dist, wheels[0]);
}
