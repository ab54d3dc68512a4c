"""Frames: the state of an experiment after each step, and their binary encoding.

A frame carries the step index, the op just applied, probabilities, per-qubit Bloch
vectors, classical bits and (up to a size limit) amplitudes. :func:`iter_frames` yields
them for a circuit; :func:`encode_frame` / :func:`decode_frame` convert one frame to and
from bytes, :func:`encode_frames` / :func:`decode_frames` a stream.

Encoding v1 (the contract shared with the site's JS decoder and the registry).
Binary, little-endian:

======  ====  ===========================================================================
offset  size  field
======  ====  ===========================================================================
0       4     magic ``b"QTFR"``
4       2     u16 version = 1
6       2     u16 flags: bit0 = amplitudes present, bit1 = state summarised (too big for
              full arrays)
8       4     u32 header_len H (UTF-8 JSON, right-padded with spaces so that 16+H is a
              multiple of 8)
12      4     u32 data_len D (multiple of 8)
16      H     header JSON (camelCase keys)
16+H    D     data: float64 little-endian arrays, 8-byte aligned
======  ====  ===========================================================================

Header JSON keys: ``step`` (int, -1 = initial state), ``op`` (human text e.g.
``"cx q[0], q[1]"`` or null), ``opName`` (e.g. ``"cx"``, ``"measure"``, null), ``qubits``
(list), ``executed`` (bool; false if a classical condition skipped it), ``outcome``
(int|null), ``numQubits``, ``numClbits``, ``clbits`` (list of 0/1, bit 0 first), ``kernel``,
``arrays``: ``{name: [byteOffsetInData, count]}`` with names among ``probabilities``
(2^n floats), ``amplitudes`` (2*2^n floats interleaved re,im), ``bloch`` (3n floats:
x0,y0,z0,x1,... qubit 0 first), ``marginals`` (n floats: P(qubit q = 1)), ``topIndices``
(k floats, exact integers), ``topProbabilities`` (k), ``topAmplitudes`` (2k interleaved).
``summary``: null or ``{"reason": "...", "topK": k, "numQubits": n}`` when bit1 is set.
Optional ``meta`` object (free-form).

Limits (defaults, configurable): full ``probabilities`` when n <= 12, ``amplitudes`` when
n <= 10; beyond that the frame is summarised: top-k (k=32) by probability + marginals +
bloch, and says so. A frame *stream* is the concatenation of frames (each is
self-delimiting: 16+H+D bytes).

What this implementation adds within v1 (the decoder enforces all of it):

* ``count`` in ``arrays`` is a number of float64 values (not bytes); ``byteOffsetInData``
  is relative to the start of the data section and a multiple of 8.
* The encoder writes the arrays in the order ``probabilities, amplitudes, bloch,
  marginals, topIndices, topProbabilities, topAmplitudes`` with no gaps, the header
  keys in the order listed above (``meta`` last, only when given), compact JSON
  (``","`` and ``":"`` separators, non-ASCII kept as UTF-8), and ``-0.0`` as ``0.0``.
* ``bloch`` and ``marginals`` are in every frame qtcore makes. A frame with
  ``amp_limit < n <= prob_limit`` has probabilities but no amplitudes (bit0 clear, no
  summary). Summary frames have no ``probabilities``; their top-k lists leave out
  zero-probability states (so ``topK`` may be less than the requested k) and order ties
  by ascending basis index.
* Decoding rejects bad magic, other versions, unknown flag bits, truncation, trailing
  bytes (:func:`decode_frame`), misaligned lengths, non-JSON headers, missing or unknown
  header keys, unknown arrays, counts that do not match ``numQubits``/``topK``,
  overlapping arrays, data not covered by arrays, flags that disagree with the arrays
  and summary, and ``topIndices`` that are not basis indices -- with
  :class:`~qtcore.errors.FrameError` naming the problem.
"""

from __future__ import annotations

from qtcore.frames._codec import (
    ARRAY_NAMES,
    FLAG_AMPLITUDES,
    FLAG_SUMMARY,
    MAGIC,
    VERSION,
    Frame,
    decode_frame,
    decode_frames,
    encode_frame,
    encode_frames,
)
from qtcore.frames._iter import frame_from_state, iter_frames

__all__ = [
    "ARRAY_NAMES",
    "FLAG_AMPLITUDES",
    "FLAG_SUMMARY",
    "MAGIC",
    "VERSION",
    "Frame",
    "decode_frame",
    "decode_frames",
    "encode_frame",
    "encode_frames",
    "frame_from_state",
    "iter_frames",
]
