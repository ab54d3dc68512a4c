"""MkDocs hook: pages generated from qtcore itself.

* ``reference/gates.md``: the gate reference, one row per entry of ``qtcore.GATES`` with its
  matrix (qubit-order note included), parameters, controls and OpenQASM names;
* ``scenarios/index.md`` and one ``scenarios/<name>.md`` per file in ``scenarios/``, each
  embedding a live widget for the scenario.
"""

from __future__ import annotations

import cmath
import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_SAMPLE = {"theta": 0.5, "phi": 0.25, "lam": 0.75, "lambda": 0.75, "gamma": 0.1}


def _num(z: complex) -> str:
    re_, im = round(z.real, 4) + 0.0, round(z.imag, 4) + 0.0
    if abs(im) < 1e-12:
        return f"{re_:g}"
    if abs(re_) < 1e-12:
        return f"{im:g}i"
    return f"{re_:g}{im:+g}i"


def _matrix_html(m: Any) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{_num(complex(x))}</td>" for x in row) + "</tr>" for row in m
    )
    return f'<table class="qt-matrix"><tbody>{rows}</tbody></table>'


def gates_markdown() -> str:
    """The gate reference page, generated from ``qtcore.GATES``."""
    from qtcore import GATES, Gate

    lines = [
        "# Gate reference",
        "",
        "Generated at build time from `qtcore.GATES`, the registry the circuit editor's",
        "palette also reads. **Qubit order:** qubit 0 is the least significant bit of a basis",
        "index and the rightmost character of a bitstring; in a matrix the gate's *first*",
        "qubit argument is the least significant bit (Qiskit's convention). Controlled gates",
        "take their controls first. Parameterised gates are shown at sample angles",
        "(θ = 0.5, φ = 0.25, λ = 0.75, γ = 0.1). The classes and functions behind them are",
        "in the [Python API](api.md) (`qtcore.Gate`, `qtcore.Circuit`, ...).",
        "",
        "| gate | qubits | parameters | OpenQASM 2 / 3 | structure | summary |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in GATES.items():
        nq = (
            f"{spec.num_controls} control + {spec.num_targets}"
            if spec.num_controls
            else (f"{spec.num_targets}")
        )
        if spec.variadic:
            nq = f"k controls + {spec.num_targets}"
        params = ", ".join(spec.params) or "—"
        q2 = spec.qasm2 or "—"
        q3 = spec.qasm3 or "—"
        lines.append(
            f"| [`{name}`](#{name}) | {nq} | {params} | `{q2}` / `{q3}` | {spec.structure} "
            f"| {spec.summary} |"
        )
    lines.append("")
    for name, spec in GATES.items():
        lines.append(f"## `{name}` {{#{name}}}")
        lines.append("")
        lines.append(spec.summary or name)
        lines.append("")
        try:
            params = [_SAMPLE.get(p, 0.5) for p in spec.params]
            g = Gate(name, params, 2 if spec.variadic else None)
            m = g.matrix()
            if len(m) <= 8:
                lines.append('<div class="qt-matrix-wrap" markdown="0">' + _matrix_html(m))
                lines.append("</div>")
            else:
                lines.append(f"Matrix of size {len(m)}×{len(m)} (not shown).")
        except Exception as exc:  # a gate that cannot be shown stays listed
            lines.append(f"_Matrix not shown: {exc}_")
        lines.append("")
        call = f"{name}(" + ", ".join(spec.params) + ")" if spec.params else name
        lines.append(f"Builder: `Circuit.{call}` · structure: {spec.structure}")
        lines.append("")
    assert cmath and math  # keep imports used for future formulas
    return "\n".join(lines)


def _load_scenario(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    return data


def scenario_markdown(path: Path) -> str:
    """One scenario page: description, expected outcome, live widget, the file itself."""
    data = _load_scenario(path)
    name = path.stem
    title = data.get("title") or data.get("name") or name
    kind = data.get("kind", "circuit")
    lines = [
        f"# {title}",
        "",
        f"Scenario `{name}` · kind **{kind}** · file `scenarios/{path.name}`",
        "",
    ]
    if data.get("description"):
        lines += [str(data["description"]).strip(), ""]
    expected = data.get("expected") or data.get("expect")
    if expected:
        lines += ["**Expected outcome:**", "", "```json", json.dumps(expected, indent=2), "```", ""]
    seed = data.get("seed", 7)
    shots = data.get("shots", 1024)
    if kind == "circuit":
        lines.append(
            f'<qt-circuit id="{name}-circuit" scenario="{name}" shots="{shots}" seed="{seed}"></qt-circuit>'
        )
        lines += ["", "Run the whole scenario (noise, expected-outcome checks, provenance):", ""]
    lines.append(f'<qt-scenario-runner id="{name}-run" scenario="{name}"></qt-scenario-runner>')
    lang = "toml" if path.suffix == ".toml" else "json"
    lines += ["", '??? note "The scenario file"', "", f"    ```{lang}"]
    lines += ["    " + ln for ln in path.read_text(encoding="utf-8").splitlines()]
    lines += ["    ```", ""]
    return "\n".join(lines)


def scenarios_index(paths: list[Path]) -> str:
    """The library's index page with a live loader."""
    lines = [
        "# Scenario library",
        "",
        "Every file in `scenarios/` is one reproducible experiment: the same scenario and seed",
        "give the same counts in CPython and in your browser, with either kernel.",
        "",
        '<qt-scenario-loader id="loader"></qt-scenario-loader>',
        "",
    ]
    if not paths:
        lines.append("_The library is empty in this build._")
    else:
        lines += ["| scenario | kind | title |", "|---|---|---|"]
        for p in paths:
            try:
                d = _load_scenario(p)
            except (ValueError, OSError) as exc:
                lines.append(f"| `{p.stem}` | — | unreadable: {exc} |")
                continue
            title = d.get("title") or d.get("name") or p.stem
            lines.append(f"| [{p.stem}]({p.stem}.md) | {d.get('kind', '?')} | {title} |")
    return "\n".join(lines) + "\n"


def _scenario_paths() -> list[Path]:
    d = ROOT / "scenarios"
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix in (".toml", ".json"))


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Generate the gate reference and the scenario pages."""
    files.append(File.generated(config, "reference/gates.md", content=gates_markdown()))
    paths = _scenario_paths()
    files.append(File.generated(config, "scenarios/index.md", content=scenarios_index(paths)))
    for p in paths:
        files.append(File.generated(config, f"scenarios/{p.stem}.md", content=scenario_markdown(p)))
    return files


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files, **_: Any) -> Navigation:
    """List every scenario page under the Scenarios section."""
    for item in nav.items:
        if isinstance(item, Page) and item.file.src_uri == "scenarios/index.md":
            section = Section("Scenarios", [item])
            item.parent = section
            nav.items[nav.items.index(item)] = section
            break
    else:
        section = next(
            (s for s in nav.items if isinstance(s, Section) and s.title == "Scenarios"), None
        )
        if section is None:
            return nav
    for p in _scenario_paths():
        f = files.get_file_from_path(f"scenarios/{p.stem}.md")
        if f is None:
            continue
        page = f.page or Page(None, f, config)
        page.parent = section
        section.children.append(page)
        nav.pages.append(page)
    return nav
