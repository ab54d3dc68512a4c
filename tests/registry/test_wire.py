"""The live-session wire types: WebSocket messages, stream entries, control messages."""

from __future__ import annotations

import re

import msgspec
import pytest

from registry_api._wire import (
    Ack,
    End,
    EndEntry,
    Error,
    FrameEntry,
    FrameMeta,
    SessionEnded,
    UserChanged,
    decode_control,
    decode_entry,
    decode_message,
    encode,
)


@pytest.mark.parametrize("msg", [Ack(id="1-0", seq=0), Error(code="bad_frame", message="m"),
                                 FrameMeta(id="2-3", seq=7), End()])  # fmt: skip
def test_wire_messages_round_trip(msg: object) -> None:
    text = encode(msg)  # type: ignore[arg-type]
    assert text.startswith('{"type":"') and decode_message(text) == msg


def test_wire_text_is_what_clients_already_parse() -> None:
    assert encode(Ack(id="1-0", seq=3)) == '{"type":"ack","id":"1-0","seq":3}'
    assert encode(End()) == '{"type":"end"}'
    assert encode(FrameMeta(id="5-0", seq=1)) == '{"type":"frame","id":"5-0","seq":1}'


@pytest.mark.parametrize("text, why", [
    ("{}", "missing required field `type`"),
    ('{"type": "stop"}', "Invalid value 'stop'"),
    ("[" * 500 + "]" * 500, "Expected `object`, got `array`"),
    ("[" * 100_000, "the limit is 1024"),
    ('{"type": "end"' + " " * 1100 + "}", "the limit is 1024"),
    ("not json", "not a protocol message"),
])  # fmt: skip
def test_wire_rejects_what_is_not_a_message(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        decode_message(text)


def test_wire_skips_unknown_fields_however_nested() -> None:
    text = '{"type": "end", "x": ' + "[" * 480 + "]" * 480 + "}"
    assert len(text) <= 1024 and decode_message(text) == End()


def test_wire_entries_and_control() -> None:
    entry = decode_entry(b"5-1", {b"f": b"abc", b"n": b"7"})
    assert entry == FrameEntry(id="5-1", key=(5, 1), seq=7, data=b"abc")
    assert decode_entry("6-0", [b"end", b"1", b"n", b"-1"]) == EndEntry(id="6-0", key=(6, 0))
    with pytest.raises(ValueError, match="unexpected fields"):
        decode_entry(b"7-0", {b"x": b"1"})
    for msg in (UserChanged(id=3), SessionEnded(id="abc")):
        assert decode_control(encode(msg).encode()) == msg
    with pytest.raises(msgspec.DecodeError):
        decode_control(b'{"type": "user"}')
