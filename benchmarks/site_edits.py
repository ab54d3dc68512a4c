"""Edits in the site's circuit editor, timed in Chromium: the part of bench_site.py that
measures the issue's "from an edit to counts and the full frame set on screen".

Three kinds of edit of an 80-gate random circuit, as a reader makes them:

* **grid**: an X placed with the mouse in an empty cell before the measurements (the
  circuit is already in the editor; the edit adds one gate);
* **paste**: a new circuit's OpenQASM pasted over the box's text (Ctrl+A, Ctrl+V);
* **typed**: the same text put in by Playwright's ``fill``: one ``beforeinput`` of
  ``insertText`` with every line, as for an IME or dictation commit of a block. Chromium would
  apply it one line at a time, with a forced layout and an ``input`` event per line (about 300
  layouts in one main-thread task); the box puts it in a few lines per task instead
  (``site/js/sliced-insert.js``) and reads it once it is all in (a typed character waits for a
  450 ms pause in typing instead).

Each edit is timed from its event's ``timeStamp`` (the click, the paste; for ``typed``, just
before ``fill``) to the animation frame in which the new counts and every frame are in the
widget (polled on ``requestAnimationFrame``, so the time is that of the frame that paints
them). Main-thread tasks come from a Chrome trace (``devtools.timeline``) of the edits: the
longest task of the page's renderer main thread, its thread CPU time and what ran in it, and
the most CPU time any task took. With other work on the machine a task's wall time includes
waits for a core; the CPU times are the figures to compare between loaded runs.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EDIT_KINDS", "Edits", "edit_rows", "main_thread_tasks", "measure_edits"]

EDIT_KINDS = ("grid", "paste", "typed")
#: What a task's time is put down to (the outermost of these events; events are named too).
KINDS = ("FunctionCall", "Layout", "UpdateLayoutTree", "Paint", "Commit", "MajorGC", "MinorGC")
TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline"]

# The new result is in the widget: a different frame list of the expected length, counts of
# the expected width, no run in flight. Returns the time of the animation frame, else false.
DONE = """([n, frames]) => { const w = document.getElementById('play');
  const ok = w.frames !== window.__qtOld && w.frames.length === frames && w.lastResult
    && w.lastResult !== window.__qtOldResult && w.lastResult.numQubits === n && !w.busy;
  return ok ? performance.now() : false; }"""
MARK_OLD = """() => { const w = document.getElementById('play');
  window.__qtOld = w.frames; window.__qtOldResult = w.lastResult; window.__qtEditAt = null; }"""
# The event that starts an edit: its timeStamp (same clock as performance.now()).
WATCH = """() => { if (window.__qtWatching) return; window.__qtWatching = true;
  for (const type of ['click', 'paste'])
    document.addEventListener(type, (e) => { if (e.target.closest('#play'))
      window.__qtEditAt = e.timeStamp; }, {capture: true}); }"""
# An empty cell before the measurements' column, different for each `k`.
EMPTY_CELL = """(k) => { const cells = [...document.querySelectorAll('#play .qt-cell')];
  const measured = cells.filter((c) => / measure /.test(c.getAttribute('aria-label')));
  const mt = Math.min(...measured.map((c) => +c.dataset.t));
  const empty = cells.filter((c) => /: empty$/.test(c.getAttribute('aria-label'))
    && +c.dataset.t < mt);
  const c = empty[(7 * k) % empty.length]; return [+c.dataset.q, +c.dataset.t]; }"""


@dataclass(frozen=True)
class Edits:
    """The edits of one size and kind: times in ms, the main-thread tasks (longest first)."""

    times: list[float]
    tasks: list[tuple[float, float, str]]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def longest(self) -> str:
        """The longest task (wall-clock), its CPU time and what ran; the longest in CPU time."""
        if not self.tasks:
            return "none"
        wall, cpu, what = self.tasks[0]
        top_cpu = max(c for _, c, _ in self.tasks)
        return f"{wall:.0f} ms, CPU {cpu:.0f} ms ({what}); most CPU in a task {top_cpu:.0f} ms"


def main_thread_tasks(trace: bytes) -> list[tuple[float, float, str]]:
    """The tasks of the busiest renderer main thread in a Chrome trace, longest first:
    ``(wall ms, thread CPU ms, what ran in it)``, "what" naming the three costliest kinds of
    event inside. On a loaded machine a task's wall time includes time it waited for a core;
    its CPU time does not."""
    events = json.loads(trace)["traceEvents"]
    names = {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    spans: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if names.get(key) == "CrRendererMain" and e.get("ph") == "X" and "dur" in e:
            spans.setdefault(key, []).append(e)
    if not spans:
        return []
    busiest = max(spans.values(), key=lambda v: len(v))
    xs = sorted(busiest, key=lambda e: (e["ts"], -e["dur"]))
    out: list[tuple[float, float, str]] = []
    end = -1.0
    for i, task in enumerate(xs):
        if task["name"] != "ThreadControllerImpl::RunTask" or task["ts"] < end:
            continue
        end = task["ts"] + task["dur"]
        inside: Counter[str] = Counter()
        counted = -1.0  # the end of the last event counted: nested events are in it
        for e in xs[i + 1 :]:
            if e["ts"] >= end:
                break
            kind = e["name"]
            if kind == "EventDispatch":
                kind = f"event {e['args'].get('data', {}).get('type', '')}"
            elif kind in ("TimerFire", "FireAnimationFrame", "HandlePostMessage"):
                kind = kind.replace("Fire", " ").replace("Handle", "").lower().strip()
            elif kind not in KINDS:
                continue
            if e["ts"] >= counted:
                inside[kind] += e["dur"]
                counted = e["ts"] + e["dur"]
        what = ", ".join(f"{k} {v / 1000:.0f} ms" for k, v in inside.most_common(3))
        out.append((task["dur"] / 1000, task.get("tdur", task["dur"]) / 1000, what))
    return sorted(out, reverse=True)


def _load(page: Any, qasm: str, n: int) -> None:
    """Put ``qasm`` in the editor (not timed) and wait until its run is on screen."""
    page.evaluate(MARK_OLD)
    page.locator("#play .qt-qasm-text").fill(qasm)
    page.wait_for_function(DONE, arg=[n, 81 + n], timeout=120_000, polling="raf")


def _edit(page: Any, kind: str, n: int, rep: int, qasm: Callable[[int, int, int], str]) -> float:
    """One edit of ``kind``; returns ms from the edit's event to the frame that shows it."""
    page.evaluate(WATCH)
    if kind == "grid":
        if rep == 0:
            _load(page, qasm(n, 80, 3), n)
            page.locator("#play .qt-tool[data-tool='x']").click()
        frames = page.evaluate("document.getElementById('play').frames.length") + 1
        q, t = page.evaluate(EMPTY_CELL, rep)
        page.evaluate(MARK_OLD)
        page.locator(f"#play .qt-cell[data-q='{q}'][data-t='{t}']").click()
    elif kind == "paste":
        frames = 81 + n
        page.evaluate("(text) => navigator.clipboard.writeText(text)", qasm(n, 80, 30 + rep))
        box = page.locator("#play .qt-qasm-text")
        box.focus()
        page.keyboard.press("ControlOrMeta+A")
        page.evaluate(MARK_OLD)
        page.keyboard.press("ControlOrMeta+V")
    else:
        frames = 81 + n
        page.evaluate(MARK_OLD)
        page.evaluate("window.__qtEditAt = performance.now()")
        page.locator("#play .qt-qasm-text").fill(qasm(n, 80, 60 + rep))
    done = page.wait_for_function(DONE, arg=[n, frames], timeout=120_000, polling="raf")
    start = page.evaluate("window.__qtEditAt")
    if start is None:
        raise RuntimeError(f"the {kind} edit's event was not seen")
    return float(done.json_value()) - float(start)


def measure_edits(
    browser: Any,
    page: Any,
    sizes: tuple[int, ...],
    repeat: int,
    qasm: Callable[[int, int, int], str],
) -> dict[tuple[int, str], Edits]:
    """Per size and kind: ``repeat`` edits' times (ms) and the main-thread tasks during them
    (from a trace of those edits), after one warm-up edit."""
    out: dict[tuple[int, str], Edits] = {}
    for n in sizes:
        for kind in EDIT_KINDS:
            _edit(page, kind, n, 0, qasm)  # warm-up (and, for grid, the circuit to edit)
            browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
            try:
                times = [_edit(page, kind, n, rep, qasm) for rep in range(1, repeat + 1)]
            finally:
                trace = browser.stop_tracing()
                if os.environ.get("QT_TRACE_DIR"):  # for chrome://tracing or Perfetto
                    Path(os.environ["QT_TRACE_DIR"], f"edit-{n}-{kind}.json").write_bytes(trace)
            out[n, kind] = Edits(times, main_thread_tasks(trace))
    return out


def edit_rows(
    edits: dict[tuple[int, str], Edits], baseline: dict[tuple[int, str], Edits] | None = None
) -> list[tuple[str, str, str]]:
    """Table rows: the median edit-to-screen time (and the best), the longest main-thread
    task; with ``baseline`` (the same edits on another build, same run), its figures and the
    ratio of the medians."""
    rows: list[tuple[str, str, str]] = []
    for (n, kind), e in edits.items():
        value = f"{e.median / 1000:.3f} s (best {min(e.times) / 1000:.3f})"
        longest = e.longest
        if baseline is not None:
            b = baseline[n, kind]
            value += f"; baseline {b.median / 1000:.3f} s, ratio {e.median / b.median:.2f}"
            longest += f"; baseline {b.longest}"
        rows.append(
            (
                f"editor, {n} qubits x 80 gates, {kind} edit: to counts + every frame",
                value,
                "<= 0.5 s at 16, <= 2 s at 20",
            )
        )
        rows.append(
            (
                f"  longest main-thread task (trace) in the {n}-qubit {kind} edits",
                longest,
                "<= 100 ms",
            )
        )
    return rows
