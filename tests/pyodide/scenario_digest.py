"""Prints every library scenario's result (pure-Python kernel) plus seeded frames as JSON.

Run by ``test_cross_interpreter.py`` in CPython and, through ``build/pyodide_run.mjs``,
in Pyodide; the two outputs must agree (counts exactly, floats to 1e-12).
"""

from __future__ import annotations

import json
import pathlib
import sys

from qtcore import Circuit, decode_frames, encode_frames, iter_frames
from qtcore.scenario import load_scenario, run_scenario


def main() -> None:
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path.cwd()
    out: dict[str, object] = {}
    for path in sorted((root / "scenarios").iterdir()):
        if path.suffix not in (".toml", ".json"):
            continue
        result = run_scenario(load_scenario(str(path)), backend="python").to_dict()
        prov = result.get("provenance", {})
        if isinstance(prov, dict):
            prov.pop("interpreter", None)
        out[path.stem] = result
    tele = Circuit(3, 2).ry(1.1, 0).h(1).cx(1, 2).cx(0, 1).h(0).measure(0, 0).measure(1, 1)
    tele.x(2).c_if(1, 1).z(2).c_if(0, 1)
    frames = decode_frames(encode_frames(iter_frames(tele, seed=99, backend="python")))
    out["_frames"] = [
        {
            "step": f.step,
            "clbits": f.clbits,
            "outcome": f.outcome,
            "probabilities": f.probabilities,
            "amplitudes": [[z.real, z.imag] for z in f.amplitudes or []],
            "bloch": [list(b) for b in f.bloch or []],
        }
        for f in frames
    ]
    out["_branching"] = _branching()
    print(json.dumps(out, sort_keys=True))


def _branching() -> dict[str, object]:
    """Shot branching with every kind of site: measurement, reset, condition, readout error,
    Pauli and damping channels (counts and memory must match exactly)."""
    from qtcore import simulate
    from qtcore.noise import NoiseModel, ReadoutError, amplitude_damping, depolarizing

    c = Circuit(3, 3).h(0).measure(0, 0).x(1).c_if(0, 1).ry(0.7, 2).measure(2, 2).reset(2)
    c.h(2).cx(2, 1).measure(1, 1).measure(2, 0)
    noise = NoiseModel().add(depolarizing(0.05)).add(amplitude_damping(0.1), gates=["h"])
    noise.add_readout_error(ReadoutError(0.02, 0.04))
    out: dict[str, object] = {}
    for label, nm in (("ideal", None), ("noisy", noise)):
        res = simulate(c, 5000, seed=21, backend="python", noise=nm, memory=True)
        out[label] = {"method": res.method, "counts": res.counts, "memory": res.memory}
    return out


if __name__ == "__main__":
    main()
