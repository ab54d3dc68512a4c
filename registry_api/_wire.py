"""Typed messages of the live-session protocol (PROTOCOL.md), with one encoder and one decoder.

Three families, each a msgspec tagged union dispatched with ``match``:

* WebSocket text messages (:data:`Message`): ``ack``, ``error``, ``frame`` and ``end``, all
  JSON objects whose ``type`` field names the variant;
* Redis stream entries (:data:`Entry`): a frame or the end marker, decoded from the entry's
  fields;
* control-channel messages (:data:`Control`, Redis pub/sub between API instances): an
  account changed, a session ended.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "MAX_TEXT_BYTES",
    "WS_BAD_REQUEST",
    "WS_CONFLICT",
    "WS_ENDED",
    "WS_FORBIDDEN",
    "WS_GOING_AWAY",
    "WS_INTERNAL",
    "WS_NOT_FOUND",
    "WS_TRY_AGAIN_LATER",
    "WS_UNAUTHORIZED",
    "WS_UNAVAILABLE",
    "Ack",
    "Control",
    "End",
    "EndEntry",
    "Entry",
    "Error",
    "FrameEntry",
    "FrameMeta",
    "Message",
    "SessionEnded",
    "UserChanged",
    "decode_control",
    "decode_entry",
    "decode_message",
    "encode",
    "parse_stream_id",
]

# WebSocket close codes: 4000 + the HTTP status they mirror, or the RFC 6455 code.
WS_ENDED = 1000  #: the session ended normally
WS_GOING_AWAY = 1001  #: this instance is shutting down: reconnect with last_id
WS_INTERNAL = 1011  #: unexpected server error: reconnect with last_id
WS_TRY_AGAIN_LATER = 1013  #: fell behind, or Redis stayed down: reconnect with last_id
WS_BAD_REQUEST = 4400
WS_UNAUTHORIZED = 4401
WS_FORBIDDEN = 4403
WS_NOT_FOUND = 4404
WS_CONFLICT = 4409
WS_UNAVAILABLE = 4503

#: Longest text message a client may send; the only one it needs is ``{"type": "end"}``.
MAX_TEXT_BYTES = 1024
_U64 = (1 << 64) - 1


class _Msg(msgspec.Struct, tag_field="type", frozen=True):
    pass


class Ack(_Msg, tag="ack", frozen=True):
    """Server -> presenter: the frame was stored as stream entry ``id`` with number ``seq``."""

    id: str
    seq: int


class Error(_Msg, tag="error", frozen=True):
    """Server -> presenter: a message was rejected (``bad_frame``, ``bad_message``)."""

    code: str
    message: str


class FrameMeta(_Msg, tag="frame", frozen=True):
    """Server -> viewer: the next binary message is frame ``seq`` (stream entry ``id``)."""

    id: str
    seq: int


class End(_Msg, tag="end", frozen=True):
    """Presenter -> server: end the session. Server -> viewer: the session has ended."""


Message = Ack | Error | FrameMeta | End

_encoder = msgspec.json.Encoder()
_message_decoder = msgspec.json.Decoder(Message)


def encode(msg: Message | Control) -> str:
    """Encode a message as the JSON text sent on the wire (``type`` first, no spaces)."""
    return _encoder.encode(msg).decode()


def decode_message(text: str) -> Message:
    """Decode a WebSocket text message.

    Raises:
        ValueError: If ``text`` is longer than :data:`MAX_TEXT_BYTES`, is not JSON, is nested
            too deeply, or is not one of the :data:`Message` variants; the message says why.
    """
    if len(text) > MAX_TEXT_BYTES:
        raise ValueError(f"text message has {len(text)} characters; the limit is {MAX_TEXT_BYTES}")
    try:
        return _message_decoder.decode(text)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a protocol message: {exc}") from None
    except RecursionError:
        raise ValueError("not a protocol message: JSON nested too deeply") from None


def parse_stream_id(value: str) -> tuple[int, int]:
    """Parse a Redis stream id ``"<ms>-<seq>"`` (two unsigned 64-bit integers).

    Raises:
        ValueError: If ``value`` is not of that form or a part exceeds 2**64 - 1.
    """
    ms, sep, seq = value.partition("-")
    if not (sep and ms.isdigit() and seq.isdigit() and ms.isascii() and seq.isascii()):
        raise ValueError(f"stream id {value!r} is not of the form '<ms>-<seq>'")
    if len(ms) > 20 or len(seq) > 20 or int(ms) > _U64 or int(seq) > _U64:
        raise ValueError(f"stream id {value!r} has a part larger than 2**64 - 1")
    return int(ms), int(seq)


class FrameEntry(msgspec.Struct, tag="frame", frozen=True):
    """A stored frame: stream id, its parsed ``key`` (for ordering), ``seq`` and the bytes."""

    id: str
    key: tuple[int, int]
    seq: int
    data: bytes

    @property
    def size(self) -> int:
        """Bytes this entry pins while queued (frame plus bookkeeping)."""
        return len(self.data) + 128


class EndEntry(msgspec.Struct, tag="end", frozen=True):
    """The end marker of a session's stream."""

    id: str
    key: tuple[int, int]

    @property
    def size(self) -> int:
        """Bytes this entry pins while queued."""
        return 128


Entry = FrameEntry | EndEntry


def decode_entry(raw_id: bytes | str, fields: Any) -> Entry:
    """Decode a stream entry as redis-py returns it (a field dict, or a flat list from Lua).

    Raises:
        ValueError: If the fields are neither a frame (``f``, ``n``) nor the end marker.
    """
    sid = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
    if isinstance(fields, list):
        fields = dict(zip(fields[::2], fields[1::2], strict=True))
    key = parse_stream_id(sid)
    match fields:
        case {b"end": b"1"}:
            return EndEntry(id=sid, key=key)
        case {b"f": bytes() as data, b"n": bytes() as n}:
            return FrameEntry(id=sid, key=key, seq=int(n), data=data)
    raise ValueError(f"stream entry {sid} has unexpected fields {sorted(fields)!r}")


class UserChanged(_Msg, tag="user", frozen=True):
    """An account's role, active flag or password changed: re-check its open sockets."""

    id: int


class SessionEnded(_Msg, tag="session_end", frozen=True):
    """A session ended: its presenters are closed with 4409."""

    id: str


Control = UserChanged | SessionEnded
_control_decoder = msgspec.json.Decoder(Control)


def decode_control(data: bytes) -> Control:
    """Decode a control-channel message.

    Raises:
        msgspec.DecodeError: If ``data`` is not a :data:`Control` message.
    """
    return _control_decoder.decode(data)
