#!/usr/bin/env node
// Run a Python file or snippet under the pinned Pyodide in Node.js and pass its output through.
//
//   node build/pyodide_run.mjs [--time] [--wheel [PATH]] FILE.py [ARGS...]
//   node build/pyodide_run.mjs [--time] [--wheel [PATH]] -c CODE [ARGS...]
//
// The repository is mounted at /repo (the working directory) and is first on sys.path, so
// `import qtcore` imports the source tree; with --wheel it imports the built wheel instead
// (default: the newest dist/qtcore-*.whl). A FILE outside the repository has its folder mounted
// at /mnt/script. sys.argv is [FILE or "-c", ARGS...] as in CPython. NumPy is not available, so
// qtcore uses its pure-Python kernel; QTCORE_* variables of the calling environment are passed
// through. No network. --time prints the Pyodide load time and the run time to stderr. The exit
// code is the script's (SystemExit) or 1 for an uncaught exception.
//
// Benchmarks: time inside the script with time.perf_counter() (the load time is not included).
import { existsSync } from "node:fs";
import path from "node:path";
import {
  installWheels,
  loadRuntime,
  MOUNT_POINT,
  mountRepo,
  newestWheel,
  REPO_ROOT,
  runMain,
  SetupError,
  seconds,
} from "./pyodide_common.mjs";

const USAGE =
  "usage: node build/pyodide_run.mjs [--time] [--wheel [PATH]] (FILE.py | -c CODE) [ARGS...]";

function parseArgs(argv) {
  const opts = { time: false, wheel: null, code: null, file: null, args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--time") {
      opts.time = true;
    } else if (arg === "--wheel") {
      const next = argv[i + 1];
      opts.wheel = next?.endsWith(".whl") ? argv[++i] : "auto";
    } else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "-c") {
      if (i + 1 >= argv.length) throw new SetupError(`-c needs an argument\n${USAGE}`);
      opts.code = argv[i + 1];
      i += 2;
      break;
    } else if (arg.startsWith("-")) {
      throw new SetupError(`unknown option ${arg}\n${USAGE}`);
    } else {
      opts.file = arg;
      i += 1;
      break;
    }
  }
  if (opts.code === null && opts.file === null) throw new SetupError(USAGE);
  opts.args = argv.slice(i);
  return opts;
}

/** Map a host file to its path inside Pyodide, mounting its folder if it is outside the repo. */
function scriptPath(pyodide, hostFile) {
  const absolute = path.resolve(hostFile);
  if (!existsSync(absolute)) throw new SetupError(`no such file: ${hostFile}`);
  const relative = path.relative(REPO_ROOT, absolute);
  if (!relative.startsWith("..") && !path.isAbsolute(relative)) {
    return path.posix.join(MOUNT_POINT, ...relative.split(path.sep));
  }
  pyodide.FS.mkdirTree("/mnt/script");
  pyodide.mountNodeFS("/mnt/script", path.dirname(absolute));
  return `/mnt/script/${path.basename(absolute)}`;
}

const DRIVER = `
import runpy, sys, traceback
_exit_code = 0
try:
    if _FILE == "":
        sys.argv = ["-c", *_ARGS]
        exec(compile(_CODE, "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = [_FILE, *_ARGS]
        sys.path.insert(0, _FILE.rsplit("/", 1)[0])
        runpy.run_path(_FILE, run_name="__main__")
except SystemExit as exc:
    if exc.code is None:
        _exit_code = 0
    elif isinstance(exc.code, int):
        _exit_code = exc.code
    else:
        print(exc.code, file=sys.stderr)
        _exit_code = 1
except BaseException:
    traceback.print_exc()
    _exit_code = 1
finally:
    sys.stdout.flush()
    sys.stderr.flush()
`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key.startsWith("QTCORE_")),
  );
  const { pyodide, loadMs } = await loadRuntime({ env });
  const wheelPath = opts.wheel === "auto" ? newestWheel() : opts.wheel;
  if (wheelPath) installWheels(pyodide, [{ path: path.resolve(wheelPath) }]);
  mountRepo(pyodide, { onPath: !wheelPath });
  const file = opts.file === null ? null : scriptPath(pyodide, opts.file);

  const started = performance.now();
  const globals = pyodide.toPy({ _CODE: opts.code ?? "", _FILE: file ?? "", _ARGS: opts.args });
  pyodide.runPython(DRIVER, { globals });
  const code = globals.get("_exit_code");
  globals.destroy();
  if (opts.time) {
    console.error(
      `pyodide_run: pyodide ${pyodide.version} load ${seconds(loadMs)}, ` +
        `run ${seconds(performance.now() - started)}`,
    );
  }
  return code;
}

runMain(main);
