#!/usr/bin/env node
// Run qtcore's test suite under Pyodide (the npm `pyodide` package, Python 3.14) in Node.js.
//
//   node build/pyodide_test.mjs [--wheel [PATH]] [-- EXTRA PYTEST ARGS...]
//
// Offline: Pyodide comes from node_modules (`npm ci`), pytest/hypothesis from the pinned wheels
// that `python build/fetch_test_wheels.py` caches in .cache/test-wheels, and any http(s)
// request throws. The repository is mounted read-through (NODEFS) at /repo; by default qtcore
// is imported from the source tree, with --wheel from the built wheel (default: the newest
// dist/qtcore-*.whl, built by `make wheel`) so the artifact the site ships is what is tested.
// NumPy is not available, so qtcore runs its pure-Python kernel (QTCORE_KERNEL=python is set
// too). Tests marked numpy, registry, browser or pyodide (the last = CPython tests that launch
// Node) are deselected. Exits with pytest's exit code; "no tests collected" (5) is an error.
import { existsSync } from "node:fs";
import path from "node:path";
import {
  installWheels,
  loadRuntime,
  mountRepo,
  newestWheel,
  REPO_ROOT,
  runMain,
  SetupError,
  seconds,
  testWheels,
} from "./pyodide_common.mjs";

const TEST_DIRS = ["tests/qtcore", "tests/pyodide"];
const MARKERS = "not numpy and not registry and not browser and not pyodide";

function parseArgs(argv) {
  const opts = { wheel: null, extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      opts.extra = argv.slice(i + 1);
      break;
    } else if (arg === "--wheel") {
      const next = argv[i + 1];
      opts.wheel = next?.endsWith(".whl") ? argv[++i] : "auto";
    } else if (arg === "-h" || arg === "--help") {
      console.log("usage: node build/pyodide_test.mjs [--wheel [PATH]] [-- PYTEST ARGS...]");
      process.exit(0);
    } else {
      throw new SetupError(`unknown argument ${arg} (pytest arguments go after --)`);
    }
  }
  return opts;
}

const PYTEST_DRIVER = `
import importlib.util, json, os, site, sys
import js  # Pyodide's module, cached now: pytest puts tests/ on sys.path, where tests/js would shadow it
import qtcore
print(f"python {sys.version.split()[0]} on {sys.platform}; "
      f"qtcore {qtcore.__version__} from {os.path.dirname(qtcore.__file__)}; "
      f"QTCORE_KERNEL={os.environ.get('QTCORE_KERNEL')}")
_site = site.getsitepackages()[0]
if _FROM_WHEEL and not os.path.normpath(qtcore.__file__).startswith(_site + os.sep):
    raise SystemExit(f"--wheel given but qtcore was imported from {qtcore.__file__}")
if importlib.util.find_spec("numpy") is not None:
    raise SystemExit("numpy is importable: this run would not test the pure-Python kernel")
print("numpy: not importable (pure-Python kernel)")
sys.stdout.flush()

import pytest


class _PyodideProfile:
    """Relax hypothesis for WebAssembly, keeping whatever profile a conftest loaded."""

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config):
        from hypothesis import HealthCheck, settings

        current = settings.default
        settings.register_profile(
            "pyodide",
            parent=current,
            deadline=None,  # wasm is slower than CPython; timing is not what is tested here
            database=None,  # keep the mounted host tree clean
            suppress_health_check=[*current.suppress_health_check, HealthCheck.too_slow],
        )
        settings.load_profile("pyodide")

    def pytest_terminal_summary(self, terminalreporter):
        # Written just above pytest's closing "N passed in ..." line, which stays last.
        terminalreporter.write_line(_SETUP_LINE)


_exit_code = int(pytest.main(json.loads(_PYTEST_ARGS), plugins=[_PyodideProfile()]))
`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const wheels = testWheels();
  const { pyodide, loadMs } = await loadRuntime({ env: { QTCORE_KERNEL: "python" } });

  const installStarted = performance.now();
  const wheelPath = opts.wheel === "auto" ? newestWheel() : opts.wheel;
  installWheels(pyodide, wheelPath ? [...wheels, { path: path.resolve(wheelPath) }] : wheels);
  mountRepo(pyodide, { onPath: !wheelPath });
  const installMs = performance.now() - installStarted;

  const testDirs = TEST_DIRS.filter((d) => existsSync(path.join(REPO_ROOT, d)));
  const pytestArgs = [
    ...testDirs,
    "-m",
    MARKERS,
    "-q",
    "-p",
    "no:cacheprovider",
    // pytest-asyncio/xdist options in pyproject.toml are unknown here; that is expected.
    "-W",
    "ignore::pytest.PytestConfigWarning",
    ...(wheelPath ? ["-o", "pythonpath="] : []),
    ...opts.extra,
  ];
  console.log(`pytest ${pytestArgs.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}`);

  const testStarted = performance.now();
  const setupLine =
    `pyodide_test: pyodide ${pyodide.version} load ${seconds(loadMs)}, ` +
    `wheels+mount ${seconds(installMs)} (pytest's own time is on the next line)`;
  const globals = pyodide.toPy({
    _PYTEST_ARGS: JSON.stringify(pytestArgs),
    _SETUP_LINE: setupLine,
    _FROM_WHEEL: Boolean(wheelPath),
  });
  pyodide.runPython(PYTEST_DRIVER, { globals });
  const code = globals.get("_exit_code");
  globals.destroy();
  const testMs = performance.now() - testStarted;

  // Timings go to stderr so that pytest's summary stays the last line on stdout.
  console.error(
    `pyodide_test: total ${seconds(performance.now() - started)} ` +
      `(pytest incl. imports ${seconds(testMs)}); exit ${code}`,
  );
  if (code === 5) {
    console.error("pyodide_test: error: pytest collected no tests");
  }
  return code;
}

runMain(main);
