"""Sends a sweep and two scenarios through the worker bridge and prints the replies as JSON.

Run by ``test_worker_vs_cli.py`` under Pyodide in Node.js (the qtcore wheel installed, as the
browser's worker does): ``bridge.call`` is the Python end of the worker protocol.
Arguments: the repository root, then ``NAME=FILE`` scenario files to run.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

RX = (
    'OPENQASM 3; include "stdgates.inc"; input float theta; qubit[2] q; bit[2] c;'
    " rx(theta) q[0]; cx q[0], q[1]; ry(theta / 3) q[1]; c = measure q;"
)


def main() -> None:
    root = pathlib.Path(sys.argv[1])
    spec = importlib.util.spec_from_file_location("qt_bridge", root / "site/worker/bridge.py")
    assert spec is not None and spec.loader is not None
    bridge = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bridge)
    out: dict[str, object] = {}
    sweep = {
        "qasm": RX,
        "param": "theta",
        "start": "0.1",
        "stop": "3.0",
        "points": "7",
        "shots": "300",
        "seed": "11",
        "target": "11",
    }
    out["sweep"] = json.loads(bridge.call("sweep", json.dumps(sweep)))
    for arg in sys.argv[2:]:
        name, _, file = arg.partition("=")
        text = (root / file).read_text()
        fmt = file.rsplit(".", 1)[-1]
        request = {"op": "run", "name": name, "text": text, "format": fmt}
        out[name] = json.loads(bridge.call("scenario", json.dumps(request)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
