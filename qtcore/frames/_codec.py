"""The :class:`Frame` and its binary encoding (version 1; layout in :mod:`qtcore.frames`)."""

from __future__ import annotations

import json
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from qtcore.errors import FrameError

__all__ = [
    "AMP_LIMIT",
    "ARRAY_NAMES",
    "FLAG_AMPLITUDES",
    "FLAG_SUMMARY",
    "MAGIC",
    "PREFIX",
    "PROB_LIMIT",
    "TOP_K",
    "VERSION",
    "Frame",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
]

#: The first four bytes of every frame.
MAGIC = b"QTFR"
#: The encoding version this qtcore writes and reads.
VERSION = 1
#: Flag bit 0: the frame carries all amplitudes.
FLAG_AMPLITUDES = 1
#: Flag bit 1: the state is summarised (top-k, marginals, Bloch vectors).
FLAG_SUMMARY = 2
#: The fixed 16-byte prefix: magic, u16 version, u16 flags, u32 header length, u32 data length.
PREFIX = struct.Struct("<4sHHII")
#: Default limits: amplitudes up to this many qubits ...
AMP_LIMIT = 10
#: ... full probabilities up to this many; beyond, a summary of the ...
PROB_LIMIT = 12
#: ... this many most probable basis states.
TOP_K = 32
MAX_QUBITS = 64
#: Data arrays in the order they are laid out in the data section.
ARRAY_NAMES = (
    "probabilities",
    "amplitudes",
    "bloch",
    "marginals",
    "topIndices",
    "topProbabilities",
    "topAmplitudes",
)
_HEADER_KEYS = (
    "step",
    "op",
    "opName",
    "qubits",
    "executed",
    "outcome",
    "numQubits",
    "numClbits",
    "clbits",
    "kernel",
    "arrays",
    "summary",
)
_BIG_ENDIAN = sys.byteorder == "big"


@dataclass
class Frame:
    """The state of an experiment after one step.

    Attributes:
        step: instruction index, -1 for the initial state.
        num_qubits: width of the state.
        num_clbits: number of classical bits.
        op: human text of the op just applied (``"cx q[0], q[1]"``), None initially.
        op_name: the op's name (``"cx"``, ``"measure"``), None initially.
        qubits: the op's qubits.
        executed: False when a classical condition skipped the op.
        outcome: measurement/reset outcome, when there was one.
        clbits: classical bits, bit 0 first.
        kernel: the kernel that produced the state (``"numpy"`` / ``"python"``).
        probabilities: all ``2**n`` probabilities (None when summarised).
        amplitudes: all ``2**n`` amplitudes (None beyond the amplitude limit).
        bloch: per-qubit Bloch vectors, qubit 0 first.
        marginals: per-qubit ``P(qubit = 1)``.
        top_indices: basis indices of the largest probabilities, largest first (summary).
        top_probabilities: their probabilities (summary).
        top_amplitudes: their amplitudes (summary).
        summary: ``{"reason": str, "topK": k, "numQubits": n}`` when summarised.
        meta: free-form JSON-ready extras (seed, scenario id ...), or None.
    """

    step: int
    num_qubits: int
    num_clbits: int = 0
    op: str | None = None
    op_name: str | None = None
    qubits: list[int] = field(default_factory=list)
    executed: bool = True
    outcome: int | None = None
    clbits: list[int] = field(default_factory=list)
    kernel: str = "python"
    probabilities: list[float] | None = None
    amplitudes: list[complex] | None = None
    bloch: list[tuple[float, float, float]] | None = None
    marginals: list[float] | None = None
    top_indices: list[int] | None = None
    top_probabilities: list[float] | None = None
    top_amplitudes: list[complex] | None = None
    summary: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None

    @property
    def flags(self) -> int:
        """bit0: amplitudes present; bit1: state summarised."""
        return (FLAG_AMPLITUDES if self.amplitudes is not None else 0) | (
            FLAG_SUMMARY if self.summary is not None else 0
        )

    @property
    def is_summary(self) -> bool:
        """True when the state was too big for full arrays."""
        return self.summary is not None


# ---------------------------------------------------------------- helpers
_NEG_ZERO = struct.pack("=d", -0.0)  # in this host's byte order


def _floats_to_bytes(values: Sequence[float]) -> bytes:
    """Little-endian float64 bytes with -0.0 written as 0.0, converted in C: a frame of 12
    qubits has 4096 probabilities, and a Python loop over them was most of its cost."""
    try:
        arr = array("d", values)
    except TypeError:  # items that are not floats or ints but convert with float()
        arr = array("d", [float(v) for v in values])
    raw = arr.tobytes()
    at = raw.find(_NEG_ZERO)
    while at != -1:  # rare: a -0.0 (only an 8-aligned match is one)
        if at % 8 == 0:
            arr[at // 8] = 0.0
        at = raw.find(_NEG_ZERO, at + 1)
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr.tobytes()


def _bytes_to_floats(buf: memoryview) -> list[float]:
    arr = array("d")
    arr.frombytes(buf)
    if _BIG_ENDIAN:
        arr.byteswap()
    return arr.tolist()


def _interleave(zs: Sequence[complex]) -> list[float]:
    out: list[float] = []
    for z in zs:
        c = complex(z)
        out += (c.real, c.imag)
    return out


def _pairs(xs: list[float]) -> list[complex]:
    return [complex(xs[i], xs[i + 1]) for i in range(0, len(xs), 2)]


def _expected_counts(num_qubits: int, top_k: int) -> dict[str, int]:
    return {
        "probabilities": 1 << num_qubits,
        "amplitudes": 2 << num_qubits,
        "bloch": 3 * num_qubits,
        "marginals": num_qubits,
        "topIndices": top_k,
        "topProbabilities": top_k,
        "topAmplitudes": 2 * top_k,
    }


def _arrays_of(frame: Frame) -> dict[str, list[float]]:
    raw: dict[str, list[float] | None] = {
        "probabilities": None if frame.probabilities is None else list(frame.probabilities),
        "amplitudes": None if frame.amplitudes is None else _interleave(frame.amplitudes),
        "bloch": None if frame.bloch is None else [float(x) for v in frame.bloch for x in v],
        "marginals": None if frame.marginals is None else list(frame.marginals),
        "topIndices": None if frame.top_indices is None else [float(i) for i in frame.top_indices],
        "topProbabilities": None
        if frame.top_probabilities is None
        else list(frame.top_probabilities),
        "topAmplitudes": None
        if frame.top_amplitudes is None
        else _interleave(frame.top_amplitudes),
    }
    return {k: v for k, v in raw.items() if v is not None}


def _check_int(what: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FrameError(f"{what} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        rng = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise FrameError(f"{what} must be {rng}, got {value}")
    return value


def _check_consistent(
    num_qubits: int,
    num_clbits: int,
    qubits: Sequence[Any],
    clbits: Sequence[Any],
    counts: dict[str, int],
    summary: dict[str, Any] | None,
) -> None:
    """Shared by encoder and decoder: what a v1 frame must satisfy."""
    _check_int("numQubits", num_qubits, 0, MAX_QUBITS)
    _check_int("numClbits", num_clbits, 0)
    for q in qubits:
        _check_int("qubits entry", q, 0, max(num_qubits - 1, 0))
    if len(clbits) != num_clbits:
        raise FrameError(f"clbits has {len(clbits)} entries but numClbits is {num_clbits}")
    for b in clbits:
        if isinstance(b, bool) or b not in (0, 1):
            raise FrameError(f"clbits entries must be 0 or 1, got {b!r}")
    top_k = 0
    if summary is not None:
        if not isinstance(summary, dict) or set(summary) != {"reason", "topK", "numQubits"}:
            raise FrameError(
                f"summary must be null or {{reason, topK, numQubits}}, got {summary!r}"
            )
        if not isinstance(summary["reason"], str):
            raise FrameError(f"summary.reason must be a string, got {summary['reason']!r}")
        top_k = _check_int("summary.topK", summary["topK"], 0)
        if summary["numQubits"] != num_qubits:
            raise FrameError(
                f"summary.numQubits {summary['numQubits']!r} != numQubits {num_qubits}"
            )
    top_names = {"topIndices", "topProbabilities", "topAmplitudes"}
    if summary is None and top_names & set(counts):
        raise FrameError("top-k arrays are only allowed in a summarised frame (summary is null)")
    if summary is not None:
        for name in ("topIndices", "topProbabilities"):
            if name not in counts:
                raise FrameError(f"a summarised frame needs the {name!r} array")
        if "probabilities" in counts:
            raise FrameError("a summarised frame must not carry full probabilities")
    want = _expected_counts(num_qubits, top_k)
    for name, count in counts.items():
        if name not in want:
            raise FrameError(f"unknown array {name!r}; allowed: {list(ARRAY_NAMES)}")
        if count != want[name]:
            raise FrameError(
                f"array {name!r} has {count} floats, expected {want[name]} "
                f"for {num_qubits} qubits" + (f" and topK {top_k}" if top_k else "")
            )


# ---------------------------------------------------------------- encoding
def encode_frame(frame: Frame) -> bytes:
    """Encodes one frame (see the layout in :mod:`qtcore.frames`).

    Raises:
        FrameError: inconsistent fields (array sizes, clbits, summary) or non-JSON meta.
    """
    arrays = _arrays_of(frame)
    _check_int("step", frame.step, -1)
    _check_consistent(
        frame.num_qubits,
        frame.num_clbits,
        frame.qubits,
        frame.clbits,
        {k: len(v) for k, v in arrays.items()},
        frame.summary,
    )
    if frame.outcome is not None:
        _check_int("outcome", frame.outcome, 0, 1)
    table: dict[str, list[int]] = {}
    chunks: list[bytes] = []
    offset = 0
    for name in ARRAY_NAMES:
        values = arrays.get(name)
        if values is None:
            continue
        table[name] = [offset, len(values)]
        chunks.append(_floats_to_bytes(values))
        offset += 8 * len(values)
    header: dict[str, Any] = {
        "step": frame.step,
        "op": frame.op,
        "opName": frame.op_name,
        "qubits": list(frame.qubits),
        "executed": bool(frame.executed),
        "outcome": frame.outcome,
        "numQubits": frame.num_qubits,
        "numClbits": frame.num_clbits,
        "clbits": list(frame.clbits),
        "kernel": frame.kernel,
        "arrays": table,
        "summary": frame.summary,
    }
    if frame.meta is not None:
        header["meta"] = frame.meta
    try:
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise FrameError(f"frame header is not JSON-serialisable: {e}") from None
    raw = text.encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # 16 + H is then a multiple of 8
    data = b"".join(chunks)
    return PREFIX.pack(MAGIC, VERSION, frame.flags, len(raw), len(data)) + raw + data


def encode_frames(frames: Iterable[Frame]) -> bytes:
    """A frame stream: the concatenation of encoded frames."""
    return b"".join(encode_frame(f) for f in frames)


# ---------------------------------------------------------------- decoding
def _prefix(buf: memoryview, where: str) -> tuple[int, int, int]:
    if len(buf) < 16:
        raise FrameError(f"{where}truncated: {len(buf)} bytes, a frame needs at least 16")
    magic, version, flags, h, d = PREFIX.unpack_from(buf, 0)
    if magic != MAGIC:
        raise FrameError(f"{where}bad magic {bytes(magic)!r}, expected {MAGIC!r}")
    if version != VERSION:
        raise FrameError(f"{where}unknown frame version {version}; this decoder reads {VERSION}")
    if flags & ~(FLAG_AMPLITUDES | FLAG_SUMMARY):
        raise FrameError(f"{where}unknown flag bits {flags:#06x}; v1 defines bit0 and bit1")
    if (16 + h) % 8:
        raise FrameError(f"{where}header_len {h} breaks 8-byte alignment (16 + H % 8 != 0)")
    if d % 8:
        raise FrameError(f"{where}data_len {d} is not a multiple of 8")
    return flags, h, d


def _get(header: dict[str, Any], key: str, types: tuple[type, ...], nullable: bool) -> Any:
    v = header[key]
    if v is None and nullable:
        return None
    if isinstance(v, bool) and bool not in types:
        raise FrameError(f"header field {key!r} has the wrong type: {v!r}")
    if not isinstance(v, types):
        raise FrameError(f"header field {key!r} has the wrong type: {v!r}")
    return v


def _decode(buf: memoryview, where: str, exact: bool) -> tuple[Frame, int]:
    flags, h, d = _prefix(buf, where)
    total = 16 + h + d
    if len(buf) < total:
        raise FrameError(
            f"{where}truncated: header_len {h} + data_len {d} need {total} bytes, got {len(buf)}"
        )
    if exact and len(buf) != total:
        raise FrameError(
            f"{where}{len(buf) - total} trailing bytes after a {total}-byte frame "
            "(use decode_frames for a stream)"
        )
    try:
        header = json.loads(bytes(buf[16 : 16 + h]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FrameError(f"{where}header is not UTF-8 JSON: {e}") from None
    if not isinstance(header, dict):
        raise FrameError(f"{where}header must be a JSON object, got {type(header).__name__}")
    missing = [k for k in _HEADER_KEYS if k not in header]
    if missing:
        raise FrameError(f"{where}header lacks {missing}")
    unknown = set(header) - {*_HEADER_KEYS, "meta"}
    if unknown:
        raise FrameError(f"{where}unknown header field(s) {sorted(unknown)}")
    try:
        frame = _frame_from(header, buf[16 + h : total], flags, d)
    except FrameError as e:
        raise FrameError(f"{where}{e}") from None
    return frame, total


def _frame_from(header: dict[str, Any], data: memoryview, flags: int, d: int) -> Frame:
    step = _check_int("step", header["step"], -1)
    n = _check_int("numQubits", header["numQubits"], 0, MAX_QUBITS)
    qubits = _get(header, "qubits", (list,), False)
    clbits = _get(header, "clbits", (list,), False)
    arrays = _get(header, "arrays", (dict,), False)
    summary = _get(header, "summary", (dict,), True)
    counts: dict[str, int] = {}
    spans: list[tuple[int, int, str]] = []
    for name, entry in arrays.items():
        if not (isinstance(entry, list) and len(entry) == 2):
            raise FrameError(f"arrays[{name!r}] must be [byteOffset, count], got {entry!r}")
        off = _check_int(f"arrays[{name!r}] offset", entry[0], 0)
        count = _check_int(f"arrays[{name!r}] count", entry[1], 0)
        if off % 8:
            raise FrameError(f"arrays[{name!r}] offset {off} is not 8-byte aligned")
        if off + 8 * count > d:
            raise FrameError(
                f"arrays[{name!r}] [{off}, {count}] runs past the {d}-byte data section"
            )
        counts[name] = count
        spans.append((off, off + 8 * count, name))
    _check_consistent(n, _get(header, "numClbits", (int,), False), qubits, clbits, counts, summary)
    spans.sort()
    for (_, end, a), (start, _, b) in pairwise(spans):
        if start < end:
            raise FrameError(f"arrays {a!r} and {b!r} overlap")
    used = sum(8 * c for c in counts.values())
    if used != d:
        raise FrameError(f"data_len {d} but the arrays cover {used} bytes")
    if bool(flags & FLAG_AMPLITUDES) != ("amplitudes" in counts):
        raise FrameError(
            f"flags bit0 = {flags & 1} but amplitudes present = {'amplitudes' in counts}"
        )
    if bool(flags & FLAG_SUMMARY) != (summary is not None):
        raise FrameError(
            f"flags bit1 = {flags >> 1 & 1} but summary present = {summary is not None}"
        )
    values = {name: _bytes_to_floats(data[off:end]) for off, end, name in spans}
    top = values.get("topIndices")
    top_indices: list[int] | None = None
    if top is not None:
        top_indices = []
        for x in top:
            if not (x == int(x) and 0 <= x < (1 << n)):
                raise FrameError(f"topIndices entry {x!r} is not a basis index for {n} qubits")
            top_indices.append(int(x))
    bloch = values.get("bloch")
    outcome = _get(header, "outcome", (int,), True)
    if outcome is not None:
        _check_int("outcome", outcome, 0, 1)
    meta = header.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise FrameError(f"header field 'meta' must be an object, got {meta!r}")
    return Frame(
        step=step,
        num_qubits=n,
        num_clbits=header["numClbits"],
        op=_get(header, "op", (str,), True),
        op_name=_get(header, "opName", (str,), True),
        qubits=qubits,
        executed=_get(header, "executed", (bool,), False),
        outcome=outcome,
        clbits=clbits,
        kernel=_get(header, "kernel", (str,), False),
        probabilities=values.get("probabilities"),
        amplitudes=_pairs(values["amplitudes"]) if "amplitudes" in values else None,
        bloch=None
        if bloch is None
        else [(bloch[i], bloch[i + 1], bloch[i + 2]) for i in range(0, len(bloch), 3)],
        marginals=values.get("marginals"),
        top_indices=top_indices,
        top_probabilities=values.get("topProbabilities"),
        top_amplitudes=_pairs(values["topAmplitudes"]) if "topAmplitudes" in values else None,
        summary=summary,
        meta=meta,
    )


def _view(buf: bytes | bytearray | memoryview) -> memoryview:
    if not isinstance(buf, bytes | bytearray | memoryview):
        raise FrameError(f"expected bytes, got {type(buf).__name__}")
    return memoryview(buf).cast("B")


def decode_frame(buf: bytes | bytearray | memoryview) -> Frame:
    """Decodes exactly one frame.

    Raises:
        FrameError: bad magic, unknown version or flags, truncated buffer, trailing
            bytes, malformed header or inconsistent array lengths (the message says which).
    """
    frame, _ = _decode(_view(buf), "", exact=True)
    return frame


def decode_frames(buf: bytes | bytearray | memoryview) -> list[Frame]:
    """Decodes a frame stream (concatenated frames).

    Raises:
        FrameError: as :func:`decode_frame`, naming the frame index and byte offset.
    """
    view = _view(buf)
    out: list[Frame] = []
    pos = 0
    while pos < len(view):
        frame, size = _decode(view[pos:], f"frame {len(out)} at byte {pos}: ", exact=False)
        out.append(frame)
        pos += size
    return out
