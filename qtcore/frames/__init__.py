"""Frames: the state of an experiment after each step, and their binary encoding.

A frame carries the step index, the op just applied, probabilities, per-qubit Bloch
vectors, classical bits and (up to a size limit) amplitudes. :func:`iter_frames` yields
them for a circuit, :func:`simulate_with_frames` returns them with the circuit's counts
(from one simulation where it can); :func:`encode_frame` / :func:`decode_frame` convert one frame to and
from bytes, :func:`encode_frames` / :func:`decode_frames` a stream.

Encoding v1 -- the contract shared with the site's JS decoder and the registry -- is
specified in ``FRAMES.md`` at the repository root: a 16-byte prefix (:data:`PREFIX`:
:data:`MAGIC` ``b"QTFR"``, u16 :data:`VERSION`, u16 flags, u32 header length, u32 data
length), a compact JSON header with camelCase keys, then little-endian float64 arrays
(:data:`ARRAY_NAMES`). Frames wider than :data:`PROB_LIMIT` qubits are summarised (top
:data:`TOP_K` states, marginals, Bloch vectors) and say so; amplitudes are included up to
:data:`AMP_LIMIT` qubits. These constants are the one source the encoder, the decoder and
the registry's frame validation use.
"""

from __future__ import annotations

from qtcore.frames._codec import (
    AMP_LIMIT,
    ARRAY_NAMES,
    FLAG_AMPLITUDES,
    FLAG_SUMMARY,
    MAGIC,
    PREFIX,
    PROB_LIMIT,
    TOP_K,
    VERSION,
    Frame,
    decode_frame,
    decode_frames,
    encode_frame,
    encode_frames,
)
from qtcore.frames._iter import frame_from_state, iter_frames, simulate_with_frames

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
    "frame_from_state",
    "iter_frames",
    "simulate_with_frames",
]
