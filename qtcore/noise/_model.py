"""The :class:`NoiseModel`: which channels follow which gates on which qubits.

The simulator calls four methods (the noise hook): :meth:`NoiseModel.is_empty`,
:meth:`NoiseModel.validate` once per run, :meth:`NoiseModel.after_gate` after every
primitive gate and :meth:`NoiseModel.readout` after every measurement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qtcore.errors import NoiseError
from qtcore.noise._channels import (
    Channel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    phase_flip,
)
from qtcore.ops import GATES, Gate
from qtcore.rng import Rng

if TYPE_CHECKING:
    from qtcore.circuit import Circuit
    from qtcore.sim._kernel import Kernel

__all__ = ["CHANNELS", "NoiseEntry", "NoiseModel"]

#: Channel type name -> (factory, parameter name), as used in scenario files.
CHANNELS: dict[str, tuple[Any, str]] = {
    "depolarizing": (depolarizing, "p"),
    "depolarizing2": (depolarizing2, "p"),
    "bit_flip": (bit_flip, "p"),
    "phase_flip": (phase_flip, "p"),
    "amplitude_damping": (amplitude_damping, "gamma"),
    "phase_damping": (phase_damping, "lam"),
}
_GATE_NAMES = frozenset(GATES) | {"unitary"}


def _gate_arity(name: str) -> int | None:
    """Number of qubits of a named gate (None when it varies: mcx, unitary)."""
    spec = GATES.get(name)
    if spec is None or spec.variadic:
        return None
    return spec.num_controls + spec.num_targets


@dataclass(frozen=True)
class NoiseEntry:
    """One attachment: ``channel`` after ``gates`` (None = all) on ``qubits`` (None = all)."""

    channel: Channel
    gates: tuple[str, ...] | None
    qubits: tuple[int, ...] | None

    def to_dict(self) -> dict[str, Any]:
        """The scenario-file form of this entry."""
        out = self.channel.to_dict()
        if self.gates is not None:
            out["gates"] = list(self.gates)
        if self.qubits is not None:
            out["qubits"] = list(self.qubits)
        return out


def _check_qubits(what: str, qubits: Iterable[int] | int | None) -> tuple[int, ...] | None:
    if qubits is None:
        return None
    if isinstance(qubits, int):
        qubits = [qubits]
    out = []
    for q in qubits:
        if isinstance(q, bool) or not isinstance(q, int) or q < 0:
            raise NoiseError(f"{what}: qubits must be non-negative integers, got {q!r}")
        out.append(q)
    if not out:
        raise NoiseError(f"{what}: an empty qubit list would never apply; use None for all")
    if len(set(out)) != len(out):
        raise NoiseError(f"{what}: duplicate qubits in {out}")
    return tuple(out)


class NoiseModel:
    """Noise channels attached per gate kind and/or per qubit, plus readout errors.

    * A one-qubit channel attached to a multi-qubit gate acts on each of the gate's
      qubits (those in ``qubits`` when given), one after the other in argument order.
    * A two-qubit channel acts only after two-qubit gates, on the gate's two qubits,
      and only when both are in ``qubits`` (when given).
    * Entries apply in the order they were added; each application draws one uniform.
    * Noise follows primitive gates: a composite gate's sub-gates are matched by their
      own names. Measurement and reset get no gate noise; use readout errors.

    Example::

        model = (NoiseModel()
                 .add(depolarizing(0.01), gates=["h", "x"])
                 .add(depolarizing2(0.02), gates=["cx"])
                 .add(amplitude_damping(0.05), qubits=[0])
                 .add_readout_error(ReadoutError(0.02, 0.05)))
    """

    def __init__(self) -> None:
        self._entries: list[NoiseEntry] = []
        self._readout_all: ReadoutError | None = None
        self._readout: dict[int, ReadoutError] = {}
        self._plan: dict[tuple[str, tuple[int, ...]], list[tuple[Channel, tuple[int, ...]]]] = {}

    # ------------------------------------------------------------ building
    def add(
        self,
        channel: Channel,
        gates: Sequence[str] | str | None = None,
        qubits: Sequence[int] | int | None = None,
    ) -> NoiseModel:
        """Attaches ``channel`` after every gate named in ``gates`` on ``qubits``.

        Args:
            channel: a channel from this package (``depolarizing(0.01)``, ...).
            gates: gate names (``["cx", "h"]``, see ``qtcore.GATES``; ``"unitary"`` for
                matrix gates), or None for every gate.
            qubits: restrict to these qubits, or None for all.

        Returns:
            The model itself, for chaining.

        Raises:
            NoiseError: not a channel, unknown gate name, empty lists, or a two-qubit
                channel attached to gates that never act on two qubits.
        """
        if not isinstance(channel, Channel):
            raise NoiseError(f"expected a noise channel, got {type(channel).__name__}")
        names: tuple[str, ...] | None = None
        if gates is not None:
            if isinstance(gates, str):
                gates = [gates]
            if not isinstance(gates, list | tuple):
                raise NoiseError(f"{channel!r}: gates must be a list of names, got {gates!r}")
            names = tuple(gates)
            if not names:
                raise NoiseError(f"{channel!r}: an empty gate list would never apply")
            for g in names:
                if not isinstance(g, str) or g not in _GATE_NAMES:
                    raise NoiseError(
                        f"{channel!r}: unknown gate name {g!r}; allowed: qtcore.GATES names or "
                        "'unitary' (composite gates are decomposed: name their sub-gates)"
                    )
                arity = _gate_arity(g)
                if channel.num_qubits == 2 and arity is not None and arity != 2:
                    raise NoiseError(
                        f"{channel!r} acts after two-qubit gates only; {g!r} acts on "
                        f"{arity} qubit(s)"
                    )
        qs = _check_qubits(repr(channel), qubits)
        if channel.num_qubits == 2 and qs is not None and len(qs) < 2:
            raise NoiseError(f"{channel!r} needs at least two qubits in {list(qs)}")
        self._entries.append(NoiseEntry(channel, names, qs))
        self._plan.clear()
        return self

    def add_readout_error(
        self, error: ReadoutError, qubits: Sequence[int] | int | None = None
    ) -> NoiseModel:
        """Attaches a readout error to ``qubits`` (None: every qubit without its own).

        Raises:
            NoiseError: not a ReadoutError, or a qubit (or the default) already has one.
        """
        if not isinstance(error, ReadoutError):
            raise NoiseError(f"expected a ReadoutError, got {type(error).__name__}")
        qs = _check_qubits("readout error", qubits)
        if qs is None:
            if self._readout_all is not None:
                raise NoiseError(f"a default readout error is already set: {self._readout_all}")
            self._readout_all = error
            return self
        for q in qs:
            if q in self._readout:
                raise NoiseError(f"qubit {q} already has a readout error: {self._readout[q]}")
        for q in qs:
            self._readout[q] = error
        return self

    @property
    def entries(self) -> tuple[NoiseEntry, ...]:
        """The channel attachments in the order they apply."""
        return tuple(self._entries)

    def readout_error(self, qubit: int) -> ReadoutError | None:
        """The readout error of ``qubit`` (its own, else the default, else None)."""
        return self._readout.get(qubit, self._readout_all)

    # ------------------------------------------------------------ the simulator hook
    def is_empty(self) -> bool:
        """True when the model has neither channels nor readout errors."""
        return not self._entries and self._readout_all is None and not self._readout

    def validate(self, circuit: Circuit) -> None:
        """Checks that every qubit the model names exists in ``circuit``.

        Raises:
            NoiseError: a qubit index beyond the circuit's width.
        """
        n = circuit.num_qubits
        named = [(repr(e.channel), e.qubits or ()) for e in self._entries]
        named.append(("readout error", tuple(self._readout)))
        for what, qs in named:
            for q in qs:
                if q >= n:
                    raise NoiseError(
                        f"{what} is attached to qubit {q} but the circuit has {n} qubit(s)"
                    )

    def _targets(
        self, gate: Gate, qubits: tuple[int, ...]
    ) -> list[tuple[Channel, tuple[int, ...]]]:
        label = getattr(gate, "label", None)
        key = (f"{gate.name}|{label}" if label else gate.name, qubits)
        plan = self._plan.get(key)
        if plan is not None:
            return plan
        plan = []
        for e in self._entries:
            if e.gates is not None and gate.name not in e.gates and label not in e.gates:
                continue
            ch = e.channel
            if ch.num_qubits == 1:
                plan += [(ch, (q,)) for q in qubits if e.qubits is None or q in e.qubits]
            elif len(qubits) == 2 and (e.qubits is None or all(q in e.qubits for q in qubits)):
                plan.append((ch, qubits))
        if len(self._plan) > 4096:
            self._plan.clear()
        self._plan[key] = plan
        return plan

    def channels_after(
        self, gate: Gate, qubits: Sequence[int]
    ) -> list[tuple[Channel, tuple[int, ...]]]:
        """The channels applied after ``gate`` on ``qubits``, in order, with their qubits."""
        return list(self._targets(gate, tuple(qubits)))

    def after_gate(
        self, kernel: Kernel[Any], s: Any, n: int, gate: Gate, qubits: Sequence[int], rng: Rng
    ) -> Any:
        """Applies the noise attached to ``gate`` on ``qubits``; returns the new state."""
        for ch, qs in self._targets(gate, tuple(qubits)):
            s = ch.apply(kernel, s, n, qs, rng)
        return s

    def readout(self, qubit: int, outcome: int, rng: Rng) -> int:
        """The recorded bit for a measurement of ``qubit`` that gave ``outcome``."""
        err = self._readout.get(qubit, self._readout_all)
        return outcome if err is None else err.apply(outcome, rng)

    # ------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """The canonical scenario-file form (see :mod:`qtcore.noise`)."""
        readout: list[dict[str, Any]] = []
        if self._readout_all is not None:
            readout.append(self._readout_all.to_dict())
        groups: dict[ReadoutError, list[int]] = {}
        for q, err in self._readout.items():
            groups.setdefault(err, []).append(q)
        for err, qs in groups.items():
            readout.append({**err.to_dict(), "qubits": qs})
        return {"channels": [e.to_dict() for e in self._entries], "readout": readout}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoiseModel:
        """Builds a model from its scenario-file form (canonical or shorthand).

        Raises:
            NoiseError: unknown keys or channel types, missing or invalid parameters.
        """
        if not isinstance(data, Mapping):
            raise NoiseError(f"noise must be a mapping, got {type(data).__name__}")
        model = cls()
        allowed = ["channels", "readout", *CHANNELS]
        for key, value in data.items():
            if key == "channels":
                for item in _as_list(key, value):
                    if "type" not in item:
                        raise NoiseError(f"noise.channels entry {dict(item)} has no 'type'")
                    _add_entry(model, str(item["type"]), item, skip=("type",))
            elif key == "readout":
                for item in _as_list(key, value):
                    _add_readout(model, item)
            elif key in CHANNELS:
                for item in _as_list(key, value):
                    _add_entry(model, key, item, skip=())
            else:
                raise NoiseError(f"unknown noise key {key!r}; allowed: {allowed}")
        return model

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoiseModel):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [repr(e.channel) for e in self._entries]
        if not (self._readout_all is None and not self._readout):
            parts.append("readout")
        return f"<NoiseModel {', '.join(parts) or 'empty'}>"


def _as_list(key: str, value: Any) -> list[Mapping[str, Any]]:
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list) or not all(isinstance(x, Mapping) for x in items):
        raise NoiseError(f"noise.{key} must be an object or a list of objects, got {value!r}")
    return items


def _number(where: str, item: Mapping[str, Any], name: str) -> float:
    if name not in item:
        raise NoiseError(f"{where} needs the parameter {name!r}, got keys {sorted(item)}")
    v = item[name]
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise NoiseError(f"{where}: {name} must be a number, got {v!r}")
    return float(v)


def _add_entry(
    model: NoiseModel, kind: str, item: Mapping[str, Any], skip: tuple[str, ...]
) -> None:
    if kind not in CHANNELS:
        raise NoiseError(f"unknown noise channel {kind!r}; allowed: {sorted(CHANNELS)}")
    factory, pname = CHANNELS[kind]
    value = _number(f"noise channel {kind!r}", item, pname)
    extra = set(item) - {pname, "gates", "qubits", *skip}
    if extra:
        raise NoiseError(
            f"noise channel {kind!r}: unknown key(s) {sorted(extra)}; "
            f"allowed: {pname!r}, 'gates', 'qubits'"
        )
    channel = factory(value)
    model.add(channel, gates=item.get("gates"), qubits=item.get("qubits"))


def _add_readout(model: NoiseModel, item: Mapping[str, Any]) -> None:
    extra = set(item) - {"p01", "p10", "qubits"}
    if extra:
        raise NoiseError(f"noise readout: unknown key(s) {sorted(extra)}")
    err = ReadoutError(_number("noise readout", item, "p01"), _number("noise readout", item, "p10"))
    model.add_readout_error(err, qubits=item.get("qubits"))
