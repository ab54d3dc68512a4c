"""qtcore's one-way layers (``qtcore/README.md``): no upward import, no import cycle.

The layer table is read from the README, so the document and the check cannot drift.
Every import counts for the layers (module level, inside functions, under
``TYPE_CHECKING``); only imports that run count for cycles.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "qtcore"  # the source tree, not the wheel
README = SOURCE / "README.md"
CYCLES_ALLOWED_IN = "qtcore.qasm."  # one recursive-descent parser (see the README)

pytestmark = pytest.mark.skipif(not README.is_file(), reason="needs the qtcore source tree")


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (a package means its __init__)
    line: int
    runtime: bool  # False under ``if TYPE_CHECKING:``


def read_layers(text: str) -> list[tuple[str, list[str]]]:
    """``[(layer name, [module prefixes])]`` from the README's table, bottom layer first."""
    layers: list[tuple[int, str, list[str]]] = []
    for m in re.finditer(r"^\| (\d+) (\w+) \| (.+?) \|", text, re.MULTILINE):
        layers.append((int(m.group(1)), m.group(2), re.findall(r"`([\w.]+)`", m.group(3))))
    assert [n for n, _, _ in layers] == list(range(len(layers))), "layers numbered 0, 1, ..."
    return [(name, prefixes) for _, name, prefixes in layers]


def module_names(root: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def imports_of(module: str, path: Path, modules: Mapping[str, Path]) -> Iterator[Import]:
    """Every import of another qtcore module in ``path``, wherever it is written."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, runtime: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.body:
                    yield from visit(ast.Module([stmt], []), False)
                for stmt in child.orelse:
                    yield from visit(ast.Module([stmt], []), runtime)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "qtcore":
                        yield Import(module, alias.name, child.lineno, runtime)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: resolve against this module's package
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                if base.split(".")[0] == "qtcore":
                    for alias in child.names:
                        sub = f"{base}.{alias.name}"  # ``from pkg import submodule``
                        yield Import(module, sub if sub in modules else base, child.lineno, runtime)
            yield from visit(child, runtime)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), True)


def layer_of(module: str, layers: list[tuple[str, list[str]]]) -> int | None:
    best: tuple[int, int] | None = None
    for i, (_, prefixes) in enumerate(layers):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def upward_imports(imports: list[Import], layers: list[tuple[str, list[str]]]) -> list[str]:
    """The imports that go up a layer, as readable lines."""
    upward = []
    for i in imports:
        a, b = layer_of(i.source, layers), layer_of(i.target, layers)
        if a is not None and b is not None and b > a:
            kind = "" if i.runtime else " (under TYPE_CHECKING)"
            upward.append(
                f"{i.source}:{i.line} imports {i.target}{kind}: {layers[a][0]} -> {layers[b][0]}"
            )
    return upward


def cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected components (> 1 module) of the run-time import graph."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.runtime and i.source != i.target:
            graph.setdefault(i.source, set()).add(i.target)
            graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _all_imports(root: Path) -> tuple[dict[str, Path], list[Import]]:
    modules = module_names(root)
    return modules, [i for m, p in modules.items() for i in imports_of(m, p, modules)]


# ---------------------------------------------------------------- qtcore itself
def test_layers_every_module_is_placed() -> None:
    layers = read_layers(README.read_text(encoding="utf-8"))
    assert len(layers) >= 4
    modules, _ = _all_imports(SOURCE)
    unplaced = [m for m in modules if layer_of(m, layers) is None]
    assert not unplaced, f"modules in no layer of qtcore/README.md: {unplaced}"


def test_layers_no_upward_import() -> None:
    layers = read_layers(README.read_text(encoding="utf-8"))
    _, imports = _all_imports(SOURCE)
    assert len(imports) > 100  # the walk found the imports, including lazy ones
    upward = upward_imports(imports, layers)
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_layers_no_import_cycle() -> None:
    _, imports = _all_imports(SOURCE)
    bad = [c for c in cycles(imports) if not all(m.startswith(CYCLES_ALLOWED_IN) for m in c)]
    assert not bad, f"import cycles: {bad}"


# ---------------------------------------------------------------- the checker can fail
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "qtcore"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


LAYERS = [("base", ["qtcore.errors"]), ("model", ["qtcore.circuit"]), ("sim", ["qtcore.sim"])]


def test_checker_finds_lazy_and_type_only_upward_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "circuit.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from qtcore.sim._kernel import Kernel\n"
                "def unitary():\n"
                "    from qtcore import sim\n"
                "    from qtcore.errors import E\n"
            ),
            "sim/__init__.py": "from . import _kernel\n",
            "sim/_kernel.py": "from ..circuit import Circuit\n",
        },
    )
    modules, imports = _all_imports(root)
    upward = upward_imports(imports, LAYERS)
    assert upward == [
        "qtcore.circuit:3 imports qtcore.sim._kernel (under TYPE_CHECKING): model -> sim",
        "qtcore.circuit:5 imports qtcore.sim: model -> sim",
    ]
    assert [m for m in modules if layer_of(m, LAYERS) is None] == ["qtcore"]
    # the relative imports resolved to the right modules
    assert {(i.source, i.target) for i in imports if i.source.startswith("qtcore.sim")} == {
        ("qtcore.sim", "qtcore.sim._kernel"),
        ("qtcore.sim._kernel", "qtcore.circuit"),
    }
    # the lazy ``from qtcore import sim`` runs, so it closes a cycle through the kernel
    assert cycles(imports) == [["qtcore.circuit", "qtcore.sim", "qtcore.sim._kernel"]]


def test_checker_finds_cycles_through_lazy_imports_only(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "a.py": "def f():\n    import qtcore.b\n",
            "b.py": "import qtcore.a\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import qtcore.d\n",
            "d.py": "import qtcore.c\n",
        },
    )
    _, imports = _all_imports(root)
    assert cycles(imports) == [["qtcore.a", "qtcore.b"]]  # c <-> d only under TYPE_CHECKING


def test_readme_table_parses_into_ordered_layers() -> None:
    layers = read_layers(README.read_text(encoding="utf-8"))
    names = [name for name, _ in layers]
    assert names[:4] == ["base", "model", "sim", "formats"]
    assert names[-1] == "applications" and "qtcore" in layers[-1][1]
    with pytest.raises(AssertionError, match="numbered"):
        read_layers("| 0 base | `a` | x |\n| 2 sim | `b` | y |\n")
