#!/usr/bin/env node
// Precompile the stdlib modules a page imports before its first frame (build/stdlib_pyc.py).
//
//   node build/compile_stdlib.mjs --wheel dist/qtcore-....whl --out OUT.zip
//
// Boots the pinned Pyodide (node_modules/pyodide) as the site's worker does, installs the qtcore
// wheel and site/worker/bridge.py, calls the bridge's `load` and runs one Bell circuit with
// frames (what the first frame needs), then writes Pyodide's python_stdlib.zip to OUT.zip with
// every module imported so far from the zip as .pyc compiled by this Pyodide. No network.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { blockNetwork, PYODIDE_DIR, REPO_ROOT, readBytes, SetupError } from "./pyodide_common.mjs";

function parseArgs(argv) {
  const opts = { wheel: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--wheel") opts.wheel = argv[++i];
    else if (argv[i] === "--out") opts.out = argv[++i];
    else throw new SetupError(`unknown argument ${argv[i]}`);
  }
  if (!opts.wheel || !opts.out)
    throw new SetupError("usage: node build/compile_stdlib.mjs --wheel WHEEL --out OUT.zip");
  return opts;
}

/** The first frame's request: a Bell circuit run with frames, as the Bell page makes it. */
const BELL = {
  circuit: {
    num_qubits: 2,
    num_clbits: 2,
    ops: [
      { op: "h", qubits: [0] },
      { op: "cx", qubits: [0, 1] },
      { op: "measure", qubits: [0, 1], clbits: [0, 1] },
    ],
  },
  shots: 16,
  seed: 1,
  frames: true,
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  blockNetwork();
  const { loadPyodide } = await import(path.join(PYODIDE_DIR, "pyodide.mjs"));
  const pyodide = await loadPyodide({
    indexURL: PYODIDE_DIR + path.sep,
    packageCacheDir: PYODIDE_DIR,
    env: { HOME: "/home/pyodide" },
  });
  // As site/worker/worker.js does.
  pyodide.unpackArchive(readBytes(opts.wheel), "wheel");
  pyodide.FS.mkdirTree("/home/pyodide/qt");
  pyodide.FS.writeFile(
    "/home/pyodide/qt/qt_bridge.py",
    readFileSync(path.join(REPO_ROOT, "site", "worker", "bridge.py")),
  );
  pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/qt')");
  const bridge = pyodide.pyimport("qt_bridge");
  for (const [kind, payload] of [
    ["load", {}],
    ["run", BELL],
  ]) {
    const reply = JSON.parse(bridge.call(kind, JSON.stringify(payload)));
    if (!reply.ok) throw new Error(`bridge ${kind} failed: ${reply.error.message}`);
  }
  pyodide.FS.mkdirTree("/home/pyodide/build");
  pyodide.FS.writeFile(
    "/home/pyodide/build/stdlib_pyc.py",
    readFileSync(path.join(REPO_ROOT, "build", "stdlib_pyc.py")),
  );
  const done = pyodide
    .runPython(`
import sys
page_modules = dict(sys.modules)  # before this build step imports anything
archive = next(p for p in sys.path if p.endswith(".zip"))
sys.path.insert(0, "/home/pyodide/build")
import stdlib_pyc
names = stdlib_pyc.loaded_from(archive, page_modules)
with open(archive, "rb") as f:  # the runtime's own python_stdlib.zip
    data, done = stdlib_pyc.precompile(f.read(), names, archive)
with open("/home/pyodide/build/out.zip", "wb") as f:
    f.write(data)
done
`)
    .toJs();
  const data = pyodide.FS.readFile("/home/pyodide/build/out.zip");
  writeFileSync(opts.out, data);
  const original = statSync(path.join(PYODIDE_DIR, "python_stdlib.zip")).size;
  console.log(
    `compile_stdlib: ${done.length} modules as .pyc; ${original} -> ${data.length} bytes`,
  );
}

main().catch((err) => {
  console.error(err instanceof SetupError ? `error: ${err.message}` : err);
  process.exit(1);
});
