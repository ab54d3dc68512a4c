"""Frame encoding v1: exact byte layout, round trips and rejection of corrupted buffers."""

from __future__ import annotations

import json
import math
import struct
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qtcore.frames._codec as codec
from qtcore import FrameError
from qtcore.frames import Frame, decode_frame, decode_frames, encode_frame, encode_frames

ONE = b"\x00\x00\x00\x00\x00\x00\xf0\x3f"  # 1.0 as IEEE-754 little-endian
MINUS_ONE = b"\x00\x00\x00\x00\x00\x00\xf0\xbf"
HALF = b"\x00\x00\x00\x00\x00\x00\xe0\x3f"
ZERO = b"\x00" * 8


def _x_frame() -> Frame:
    """The frame after ``x q[0]`` on one qubit: |1>."""
    return Frame(
        step=0,
        num_qubits=1,
        num_clbits=1,
        op="x q[0]",
        op_name="x",
        qubits=[0],
        clbits=[0],
        kernel="python",
        probabilities=[0.0, 1.0],
        amplitudes=[0j, 1 + 0j],
        bloch=[(0.0, 0.0, -1.0)],
        marginals=[1.0],
    )


def test_frame_encoding_exact_bytes_of_hand_computed_frame() -> None:
    header = (
        b'{"step":0,"op":"x q[0]","opName":"x","qubits":[0],"executed":true,"outcome":null,'
        b'"numQubits":1,"numClbits":1,"clbits":[0],"kernel":"python","arrays":{'
        b'"probabilities":[0,2],"amplitudes":[16,4],"bloch":[48,3],"marginals":[72,1]},'
        b'"summary":null}'
    )
    assert len(header) == 242  # 16 + 242 = 258 -> pad 6 spaces to 264
    padded = header + b"      "
    data = ZERO + ONE + ZERO + ZERO + ONE + ZERO + ZERO + ZERO + MINUS_ONE + ONE
    want = (
        b"QTFR"
        + b"\x01\x00"  # version 1
        + b"\x01\x00"  # flags: amplitudes present
        + b"\xf8\x00\x00\x00"  # H = 248
        + b"\x50\x00\x00\x00"  # D = 80 = 10 floats
        + padded
        + data
    )
    got = encode_frame(_x_frame())
    assert got == want
    assert len(got) == 16 + 248 + 80 and (16 + 248) % 8 == 0
    assert decode_frame(want) == _x_frame()


def test_frame_encoding_summary_flag_and_layout() -> None:
    f = Frame(
        step=3,
        num_qubits=2,
        kernel="numpy",
        bloch=[(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)],
        marginals=[0.5, 0.5],
        top_indices=[0, 3],
        top_probabilities=[0.5, 0.5],
        summary={"reason": "test", "topK": 2, "numQubits": 2},
    )
    buf = encode_frame(f)
    magic, version, flags, h, d = struct.unpack_from("<4sHHII", buf)
    assert (magic, version, flags) == (b"QTFR", 1, 2)
    assert (16 + h) % 8 == 0 and d == 8 * (6 + 2 + 2 + 2)
    head = json.loads(buf[16 : 16 + h])
    assert head["arrays"] == {
        "bloch": [0, 6],
        "marginals": [48, 2],
        "topIndices": [64, 2],
        "topProbabilities": [80, 2],
    }
    assert buf[16 + h + 64 : 16 + h + 80] == ZERO + struct.pack("<d", 3.0)
    assert buf[16 + h + 80 :] == HALF + HALF
    assert decode_frame(buf) == f


def test_frame_encoding_negative_zero_is_canonical() -> None:
    a = _x_frame()
    b = _x_frame()
    b.bloch = [(-0.0, -0.0, -1.0)]
    b.amplitudes = [complex(-0.0, -0.0), 1 + 0j]
    assert encode_frame(a) == encode_frame(b)


def test_float_encoding_zeroes_only_aligned_negative_zeros() -> None:
    # 5e-324 (bytes 01 00 .. 00) then a number whose first byte is 0x80: the bytes of -0.0
    # (seven zeros, 0x80) occur one byte into the pair; only values that are -0.0 change
    odd = struct.unpack("<d", b"\x80" + bytes(6) + b"\x3f")[0]
    values = [5e-324, odd, -0.0, 1.0, -0.0, -2.5, *[0.25] * 500, -0.0]
    got = struct.unpack(f"<{len(values)}d", codec._floats_to_bytes(values))
    assert got == tuple(v + 0.0 for v in values) and got[:2] == (5e-324, odd)
    assert all(math.copysign(1.0, v) > 0 for v in got if v == 0.0)


def test_frame_encoding_big_endian_host_swaps_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # on a little-endian host, pretending to be big-endian must produce big-endian bytes
    monkeypatch.setattr(codec, "_BIG_ENDIAN", not codec._BIG_ENDIAN)
    swapped = codec._floats_to_bytes([1.5, -2.0])
    other = ">" if sys.byteorder == "little" else "<"
    assert swapped == struct.pack(f"{other}2d", 1.5, -2.0)


# ---------------------------------------------------------------- hypothesis round trip
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
cplx = st.builds(complex, finite, finite)
text = st.text(max_size=20)


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    n = draw(st.integers(0, 4))
    m = draw(st.integers(0, 5))
    dim = 1 << n
    f = Frame(
        step=draw(st.integers(-1, 10**6)),
        num_qubits=n,
        num_clbits=m,
        op=draw(st.none() | text),
        op_name=draw(st.none() | text),
        qubits=draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=3)) if n else [],
        executed=draw(st.booleans()),
        outcome=draw(st.none() | st.integers(0, 1)),
        clbits=draw(st.lists(st.integers(0, 1), min_size=m, max_size=m)),
        kernel=draw(st.sampled_from(["python", "numpy", "ünïcode"])),
        bloch=draw(st.none() | st.lists(st.tuples(finite, finite, finite), min_size=n, max_size=n)),
        marginals=draw(st.none() | st.lists(finite, min_size=n, max_size=n)),
        meta=draw(st.none() | st.dictionaries(text, st.integers() | text, max_size=3)),
    )
    if draw(st.booleans()):
        f.probabilities = draw(st.lists(finite, min_size=dim, max_size=dim))
        if draw(st.booleans()):
            f.amplitudes = draw(st.lists(cplx, min_size=dim, max_size=dim))
    else:
        k = draw(st.integers(0, dim))
        f.top_indices = draw(st.lists(st.integers(0, dim - 1), min_size=k, max_size=k))
        f.top_probabilities = draw(st.lists(finite, min_size=k, max_size=k))
        if draw(st.booleans()):
            f.top_amplitudes = draw(st.lists(cplx, min_size=k, max_size=k))
        if draw(st.booleans()):
            f.amplitudes = draw(st.lists(cplx, min_size=dim, max_size=dim))
        f.summary = {"reason": draw(text), "topK": k, "numQubits": n}
    return f


@settings(max_examples=150, deadline=None)
@given(frames())
def test_frame_round_trip_random_frames(frame: Frame) -> None:
    buf = encode_frame(frame)
    _, version, flags, h, d = struct.unpack_from("<4sHHII", buf)
    assert version == 1 and flags == frame.flags
    assert (16 + h) % 8 == 0 and d % 8 == 0 and len(buf) == 16 + h + d
    assert buf[16 : 16 + h].rstrip(b" ").endswith(b"}")
    back = decode_frame(buf)
    assert back == frame
    assert encode_frame(back) == buf


@settings(max_examples=30, deadline=None)
@given(st.lists(frames(), max_size=4))
def test_frame_stream_round_trip(items: list[Frame]) -> None:
    assert decode_frames(encode_frames(items)) == items


# ---------------------------------------------------------------- corrupted buffers
def _raw(
    header: dict[str, Any],
    data: bytes = b"",
    *,
    magic: bytes = b"QTFR",
    version: int = 1,
    flags: int = 0,
    pad: bool = True,
) -> bytes:
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<4sHHII", magic, version, flags, len(h), len(data)) + h + data


def _header(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "step": 0,
        "op": None,
        "opName": None,
        "qubits": [],
        "executed": True,
        "outcome": None,
        "numQubits": 1,
        "numClbits": 0,
        "clbits": [],
        "kernel": "python",
        "arrays": {"probabilities": [0, 2]},
        "summary": None,
    }
    base.update(over)
    return base


GOOD_DATA = ONE + ZERO


def test_frame_decode_accepts_the_reference_raw_frame() -> None:
    f = decode_frame(_raw(_header(), GOOD_DATA))
    assert f.probabilities == [1.0, 0.0] and f.bloch is None


@pytest.mark.parametrize(
    ("buf", "match"),
    [
        (b"", "truncated: 0 bytes"),
        (b"QTFR\x01\x00", "truncated: 6 bytes"),
        (_raw(_header(), GOOD_DATA, magic=b"QTFX"), "bad magic b'QTFX'"),
        (_raw(_header(), GOOD_DATA, version=2), "unknown frame version 2"),
        (_raw(_header(), GOOD_DATA, flags=4), "unknown flag bits"),
        (_raw(_header(), GOOD_DATA, flags=1), "flags bit0 = 1 but amplitudes present = False"),
        (_raw(_header(), GOOD_DATA, flags=2), "flags bit1 = 1 but summary present = False"),
        (_raw(_header(), GOOD_DATA)[:-1], "truncated: header_len"),
        (_raw(_header(), GOOD_DATA) + b"\x00", "1 trailing bytes"),
        (_raw(_header(), GOOD_DATA, pad=False), "breaks 8-byte alignment"),
        (_raw(_header(), GOOD_DATA + b"\x00"), "not a multiple of 8"),
        (_raw(_header(arrays={"probabilities": [0, 3]}), GOOD_DATA + ZERO), "expected 2"),
        (_raw(_header(arrays={"probabilities": [8, 2]}), GOOD_DATA), "runs past"),
        (_raw(_header(arrays={"probabilities": [4, 2]}), GOOD_DATA), "not 8-byte aligned"),
        (_raw(_header(arrays={"probabilities": [0, 2]}), GOOD_DATA + ZERO), "cover 16 bytes"),
        (
            _raw(_header(arrays={"probabilities": [0, 2], "marginals": [8, 1]}), GOOD_DATA),
            "overlap",
        ),
        (_raw(_header(arrays={"phases": [0, 2]}), GOOD_DATA), "unknown array 'phases'"),
        (_raw(_header(arrays={"probabilities": "x"}), GOOD_DATA), "must be \\[byteOffset"),
        (_raw(_header(numQubits=2), GOOD_DATA), "expected 4 for 2 qubits"),
        (_raw(_header(numQubits=99), GOOD_DATA), "numQubits must be"),
        (_raw(_header(numClbits=1), GOOD_DATA), "clbits has 0 entries"),
        (_raw(_header(numClbits=1, clbits=[2]), GOOD_DATA), "0 or 1"),
        (_raw(_header(step=-2), GOOD_DATA), "step must be"),
        (_raw(_header(step=True), GOOD_DATA), "step must be an integer"),
        (_raw(_header(executed=1), GOOD_DATA), "'executed' has the wrong type"),
        (_raw(_header(kernel=None), GOOD_DATA), "'kernel' has the wrong type"),
        (_raw(_header(outcome=3), GOOD_DATA), "outcome must be"),
        (_raw(_header(meta=[1]), GOOD_DATA), "'meta' must be an object"),
        (_raw(_header(extra=1), GOOD_DATA), "unknown header field"),
        (_raw({"step": 0}, GOOD_DATA), "header lacks"),
        (_raw([1, 2], GOOD_DATA), "must be a JSON object"),  # type: ignore[arg-type]
        (
            b"QTFR\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\xff\xfe{}    ",
            "not UTF-8 JSON",
        ),
        (
            _raw(
                _header(
                    arrays={"topIndices": [0, 1], "topProbabilities": [8, 1]},
                    summary={"reason": "r", "topK": 1, "numQubits": 1},
                ),
                struct.pack("<d", 2.0) + ONE,
                flags=2,
            ),
            "topIndices entry 2.0 is not a basis index",
        ),
        (
            _raw(
                _header(
                    arrays={"topIndices": [0, 1], "topProbabilities": [8, 1]},
                    summary={"reason": "r", "topK": 1, "numQubits": 1},
                ),
                struct.pack("<d", 0.5) + ONE,
                flags=2,
            ),
            "not a basis index",
        ),
        (
            _raw(_header(summary={"reason": "r", "topK": 1, "numQubits": 1}), GOOD_DATA, flags=2),
            "needs the 'topIndices' array",
        ),
        (
            _raw(
                _header(arrays={"topIndices": [0, 1], "topProbabilities": [8, 1]}),
                ZERO + ONE,
            ),
            "only allowed in a summarised frame",
        ),
        (
            _raw(
                _header(
                    arrays={"topIndices": [0, 1], "topProbabilities": [8, 1]},
                    summary={"reason": "r", "topK": 1, "numQubits": 5},
                ),
                ZERO + ONE,
                flags=2,
            ),
            "summary.numQubits 5",
        ),
        (
            _raw(
                _header(
                    arrays={"topIndices": [0, 1], "topProbabilities": [8, 1]},
                    summary={"reason": "r", "topK": 2, "numQubits": 1},
                ),
                ZERO + ONE,
                flags=2,
            ),
            "has 1 floats, expected 2 for 1 qubits and topK 2",
        ),
    ],
)
def test_frame_decode_rejects_corrupted_buffer(buf: bytes, match: str) -> None:
    with pytest.raises(FrameError, match=match):
        decode_frame(buf)


def test_frame_decode_rejects_non_bytes() -> None:
    with pytest.raises(FrameError, match="expected bytes, got str"):
        decode_frame("QTFR")  # type: ignore[arg-type]


def test_frame_stream_errors_name_frame_and_offset() -> None:
    one = encode_frame(_x_frame())
    stream = one + one
    assert decode_frames(bytearray(stream)) == [_x_frame(), _x_frame()]
    assert decode_frames(memoryview(stream)) == [_x_frame(), _x_frame()]
    with pytest.raises(FrameError, match=f"frame 1 at byte {len(one)}: truncated"):
        decode_frames(stream[:-8])
    with pytest.raises(FrameError, match=f"frame 2 at byte {2 * len(one)}: bad magic"):
        decode_frames(stream + b"XXXX" + one[4:])
    assert decode_frames(b"") == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"probabilities": [1.0]}, "'probabilities' has 1 floats, expected 2"),
        ({"amplitudes": [1 + 0j]}, "'amplitudes' has 2 floats, expected 4"),
        ({"bloch": [(0.0, 0.0, 1.0)] * 2}, "'bloch' has 6 floats, expected 3"),
        ({"clbits": [0, 1]}, "clbits has 2 entries"),
        ({"qubits": [1]}, "qubits entry must be"),
        ({"step": -5}, "step must be"),
        ({"outcome": 2}, "outcome must be"),
        ({"meta": {"x": float("nan")}}, "not JSON-serialisable"),
        ({"meta": {"x": object()}}, "not JSON-serialisable"),
        ({"top_indices": [1], "top_probabilities": [1.0]}, "only allowed in a summarised"),
    ],
)
def test_frame_encode_rejects_inconsistent_frame(change: dict[str, Any], match: str) -> None:
    f = _x_frame()
    for k, v in change.items():
        setattr(f, k, v)
    with pytest.raises(FrameError, match=match):
        encode_frame(f)
