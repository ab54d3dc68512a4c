"""Noise: channels, readout errors and noise models, simulated by Monte-Carlo trajectories.

Build a :class:`NoiseModel` and pass it to :func:`qtcore.simulate` (or
:func:`qtcore.iter_steps`); each shot then becomes one trajectory in which every
channel picks one Kraus branch at random. Averaged over shots this reproduces the
density-matrix evolution ``rho -> sum_i K_i rho K_i^dagger``.

Channels and their parametrisations (Nielsen & Chuang §8.3; details in
:mod:`qtcore.noise._channels`):

==========================  ===============================================================
``depolarizing(p)``         ``(1-p) rho + p/3 (X rho X + Y rho Y + Z rho Z)``; ``p`` is the
                            probability of a Pauli error (N&C's ``p' I/2`` form: ``p' = 4p/3``)
``depolarizing2(p)``        ``(1-p) rho + p/15 sum P rho P`` over the 15 non-identity 2-qubit Paulis
``bit_flip(p)``             X with probability ``p``
``phase_flip(p)``           Z with probability ``p``
``amplitude_damping(gamma)`` ``K0 = diag(1, sqrt(1-gamma))``, ``K1 = sqrt(gamma) |0><1|``
``phase_damping(lam)``      ``K0 = diag(1, sqrt(1-lam))``, ``K1 = sqrt(lam) |1><1|``
``ReadoutError(p01, p10)``  ``p01 = P(read 1 | true 0)``, ``p10 = P(read 0 | true 1)``
==========================  ===============================================================

Every parameter must lie in [0, 1]; anything else raises :class:`~qtcore.errors.NoiseError`.
Each channel application and each noisy readout draws exactly one uniform from the run's
RNG, so a seed reproduces the same counts with either kernel.

Scenario-file schema (:meth:`NoiseModel.to_dict` writes the canonical form;
:meth:`NoiseModel.from_dict` reads it and the shorthand)::

    {
      "channels": [                                  # applied in this order
        {"type": "depolarizing", "p": 0.01, "gates": ["h", "x"]},
        {"type": "depolarizing2", "p": 0.02, "gates": ["cx"], "qubits": [0, 1]},
        {"type": "amplitude_damping", "gamma": 0.05, "qubits": [2]}
      ],
      "readout": [                                   # no "qubits": every other qubit
        {"p01": 0.02, "p10": 0.05},
        {"p01": 0.0, "p10": 0.1, "qubits": [1]}
      ]
    }

``type`` is one of ``depolarizing``, ``depolarizing2``, ``bit_flip``, ``phase_flip`` (parameter
``p``), ``amplitude_damping`` (``gamma``), ``phase_damping`` (``lam``). ``gates`` (gate names as
in ``qtcore.GATES``, or ``"unitary"``) and ``qubits`` are optional; omitted means all. Shorthand:
a channel type as a top-level key with one object or a list of objects, and ``readout`` as one
object, e.g. ``{"depolarizing": {"p": 0.01, "gates": ["cx"]}, "readout": {"p01": 0.02,
"p10": 0.05}}``.
"""

from __future__ import annotations

from qtcore.noise._channels import (
    Channel,
    DampingChannel,
    PauliChannel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    depolarizing2,
    phase_damping,
    phase_flip,
)
from qtcore.noise._model import CHANNELS, NoiseEntry, NoiseModel

__all__ = [
    "CHANNELS",
    "Channel",
    "DampingChannel",
    "NoiseEntry",
    "NoiseModel",
    "PauliChannel",
    "ReadoutError",
    "amplitude_damping",
    "bit_flip",
    "depolarizing",
    "depolarizing2",
    "phase_damping",
    "phase_flip",
]
