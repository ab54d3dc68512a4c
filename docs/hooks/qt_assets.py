"""MkDocs hook: ship the front end and the vendored runtime with the site, offline.

* ``site/js``, ``site/css`` and ``site/worker`` are published under ``qt/``;
* the staged Pyodide runtime and qtcore wheel (``$QT_VENDOR_DIR``, written by
  ``build/build_site.py``) under ``pyodide/`` and ``wheels/``; the runtime's
  ``python_stdlib.zip`` is the staged precompiled one (``stdlib/``) when there is one;
* ``scenarios/*.toml|json`` under ``scenarios/`` with an ``index.json``;
* every built page is checked: a script, stylesheet, font or image from another host fails
  the build (the site must make no request to any other host).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[2]
SITE_SRC = ROOT / "site"
SCENARIOS = ROOT / "scenarios"
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*?\b(?:src|href)\s*=\s*["']"""
    r"""((?:https?:)?//[^"']+)["'][^>]*>""",
    re.IGNORECASE,
)
_ANCHOR_OK = re.compile(r"""<link\b[^>]*\brel\s*=\s*["'](?:canonical|alternate)["']""", re.I)
_EMPTY_SCRIPT = re.compile(r"""<script src="">\s*</script>""")


def vendor_dir() -> Path | None:
    """The folder staged by build_site.py, if any."""
    value = os.environ.get("QT_VENDOR_DIR")
    if value:
        return Path(value)
    default = ROOT / ".cache" / "site" / "vendor"
    return default if default.is_dir() else None


def _add_tree(files: Files, src: Path, dest_prefix: str, config: MkDocsConfig) -> None:
    for path in sorted(src.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.name.startswith("."):
            continue
        rel = f"{dest_prefix}/{path.relative_to(src).as_posix()}"
        files.append(File.generated(config, rel, abs_src_path=str(path)))


def scenario_files() -> list[Path]:
    """The library's scenario files, sorted by name."""
    if not SCENARIOS.is_dir():
        return []
    return sorted(p for p in SCENARIOS.iterdir() if p.suffix in (".toml", ".json"))


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add the front end, the runtime, the wheel and the scenario library to the build."""
    for sub in ("js", "css", "worker"):
        if (SITE_SRC / sub).is_dir():
            _add_tree(files, SITE_SRC / sub, f"qt/{sub}", config)
    vend = vendor_dir()
    if vend is not None:
        for sub in ("pyodide", "wheels"):
            if (vend / sub).is_dir():
                _add_tree(files, vend / sub, sub, config)
        stdlib = vend / "stdlib" / "python_stdlib.zip"
        shipped = files.get_file_from_path("pyodide/python_stdlib.zip")
        if stdlib.is_file() and shipped is not None:
            files.remove(shipped)
            files.append(
                File.generated(config, "pyodide/python_stdlib.zip", abs_src_path=str(stdlib))
            )
    index = []
    for path in scenario_files():
        files.append(File.generated(config, f"scenarios/{path.name}", abs_src_path=str(path)))
        index.append({"name": path.stem, "file": path.name, "format": path.suffix[1:]})
    files.append(
        File.generated(config, "scenarios/index.json", content=json.dumps(index, indent=1))
    )
    return files


def on_post_page(output: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Drop nbconvert's empty MathJax tag and refuse any resource from another host."""
    output = _EMPTY_SCRIPT.sub("", output)
    for match in _EXTERNAL.finditer(output):
        if _ANCHOR_OK.match(match.group(0)):
            continue
        raise PluginError(
            f"{page.file.src_uri}: resource from another host {match.group(1)!r}; "
            "vendor it (the site must work offline)"
        )
    return output
