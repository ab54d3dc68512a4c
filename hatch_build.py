"""Hatchling build hook: compiles qtcore's WebAssembly kernel into the wheel.

``python -m build --wheel`` (``make wheel``, ``build/build_site.py``) runs
:meth:`WasmKernelHook.initialize` first, which compiles ``kernels/wasm/qtkernel.c`` with
Debian's ``clang`` + ``lld`` into ``qtcore/sim/_qtkernel.wasm`` (git-ignored, shipped as an
artifact). The same sources and compiler give the same bytes: no debug info, no names
section, no paths. ``python hatch_build.py`` compiles the module alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

SOURCE = Path("kernels") / "wasm" / "qtkernel.c"
OUTPUT = Path("qtcore") / "sim" / "_qtkernel.wasm"
FLAGS = [
    "--target=wasm32",
    "-O3",
    "-msimd128",  # 128-bit SIMD: one complex double per v128
    "-mbulk-memory",  # memory.fill/copy instead of a libc memset
    "-ffp-contract=off",  # no fused multiply-adds: the same rounding as Python's complex math
    "-nostdlib",
    "-fvisibility=hidden",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wl,--no-entry",
    "-Wl,--export-dynamic",
    "-Wl,--strip-all",
    "-Wl,--max-memory=4294967296",  # the whole wasm32 address space may be used for states
]


def compile_kernel(root: Path) -> Path:
    """Compiles the kernel under ``root``; returns the ``.wasm`` path.

    Raises:
        RuntimeError: clang or wasm-ld is missing, or the compile failed.
    """
    clang = os.environ.get("CLANG", "clang")
    if shutil.which(clang) is None or shutil.which("wasm-ld") is None:
        raise RuntimeError(
            "the qtcore wheel compiles its WebAssembly kernel with clang and wasm-ld: "
            "install them (`make deps`, or `apt-get install clang lld`)"
        )
    out = root / OUTPUT
    # Compile beside the output and replace it only when the bytes differ: an unchanged
    # kernel keeps its mtime, so builds that fingerprint qtcore/ (the site) stay up to date.
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = [clang, *FLAGS, "-o", str(tmp), str(root / SOURCE)]
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"compiling {SOURCE} failed:\n{proc.stdout}{proc.stderr}")
        if out.is_file() and out.read_bytes() == tmp.read_bytes():
            tmp.unlink()
        else:
            tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # `python hatch_build.py` without hatchling
    BuildHookInterface = object  # type: ignore[assignment,misc]


class WasmKernelHook(BuildHookInterface):  # type: ignore[misc,valid-type]
    """Compiles the kernel before the wheel's files are collected."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        compile_kernel(Path(self.root))
        build_data["artifacts"].append(OUTPUT.as_posix())


if __name__ == "__main__":
    print(compile_kernel(Path(__file__).resolve().parent))
    sys.exit(0)
