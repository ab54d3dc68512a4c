"""Special relativity against mpmath (50 digits), analytic limits and published values."""

from __future__ import annotations

import json
import math

import mpmath as mp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtcore.errors import RelativityDomainError
from qtcore.relativity import (
    SECONDS_PER_DAY,
    SPEED_OF_LIGHT,
    dilated_duration,
    doppler_factor,
    gamma_minus_one,
    kinematics,
    kinetic_energy,
    length_contraction,
    longitudinal_doppler_factor,
    lorentz_factor,
    momentum,
    rapidity,
    speed_from_lorentz_factor,
    time_dilation,
    time_dilation_difference,
    total_energy,
    transverse_doppler_factor,
    velocity_addition,
    velocity_from_rapidity,
)

C = SPEED_OF_LIGHT
REL = 1e-12  # required relative agreement with the 50-digit reference

SPEEDS = [
    1e-3,
    1.0,
    1.4,  # walking
    30.0,
    465.1,  # Earth's rotation at the equator
    3873.8,  # GPS orbit
    7660.0,  # ISS
    1e6,
    0.5 * C,
    0.9 * C,
    0.999_999 * C,
    C - 1.0,
]


def rel(x: float, ref: mp.mpf) -> float:
    if ref == 0:
        return abs(x)
    return float(abs((mp.mpf(x) - ref) / ref))


def mp_beta2(v: float) -> mp.mpf:
    return (mp.mpf(v) / mp.mpf(C)) ** 2


def mp_gamma(v: float) -> mp.mpf:
    return 1 / mp.sqrt(1 - mp_beta2(v))


@pytest.mark.parametrize("v", SPEEDS)
def test_lorentz_factor_matches_mpmath(v: float) -> None:
    assert rel(lorentz_factor(v), mp_gamma(v)) <= REL


@pytest.mark.parametrize("v", SPEEDS)
def test_gamma_minus_one_matches_mpmath(v: float) -> None:
    assert rel(gamma_minus_one(v), mp_gamma(v) - 1) <= REL


def test_gamma_minus_one_low_speed_limit() -> None:
    # gamma - 1 = beta^2/2 + 3 beta^4/8 + ...; at 1 m/s the quartic term is 1e-35 relative.
    beta = 1.0 / C
    assert gamma_minus_one(1.0) == pytest.approx(beta * beta / 2, rel=1e-15)
    assert gamma_minus_one(0.0) == 0.0
    assert lorentz_factor(0.0) == 1.0
    # The naive form cancels to exactly 0 at 1 m/s: the reason for the careful formula.
    assert 1.0 / math.sqrt(1.0 - beta * beta) - 1.0 == 0.0


@pytest.mark.parametrize("v", [-0.999 * C, -1e3, -1.0, 0.0, 1e-3, 3e4, 0.6 * C, C - 1.0])
def test_rapidity_matches_mpmath_and_inverts(v: float) -> None:
    ref = mp.atanh(mp.mpf(v) / mp.mpf(C))
    assert rel(rapidity(v), ref) <= REL
    assert velocity_from_rapidity(rapidity(v)) == pytest.approx(v, rel=1e-12, abs=1e-12)


def test_speed_from_lorentz_factor_inverts() -> None:
    # gamma carries no information about v below ~1e4 m/s in doubles (gamma - 1 < 1e-9),
    # so the round trip is only well conditioned at relativistic speeds.
    for v in [0.01 * C, 0.5 * C, 0.99 * C]:
        assert speed_from_lorentz_factor(lorentz_factor(v)) == pytest.approx(v, rel=1e-9)
    assert speed_from_lorentz_factor(1.25) == pytest.approx(0.6 * C, rel=1e-15)
    assert speed_from_lorentz_factor(1.0) == 0.0


@pytest.mark.parametrize("v", SPEEDS)
def test_time_dilation_and_difference_match_mpmath(v: float) -> None:
    t = SECONDS_PER_DAY
    s = mp.sqrt(1 - mp_beta2(v))
    assert rel(time_dilation(t, v), t * s) <= REL
    assert rel(time_dilation_difference(t, v), t * (1 - s)) <= REL
    assert rel(dilated_duration(t, v), t / s) <= REL
    assert rel(length_contraction(2.5, v), mp.mpf(2.5) * s) <= REL


def test_time_lost_over_a_day_at_walking_and_gps_speed() -> None:
    # Leading order t v^2 / (2 c^2): 1.4 m/s for a day -> 9.42e-13 s; GPS -> 7.21 us.
    walk = time_dilation_difference(SECONDS_PER_DAY, 1.4)
    assert walk == pytest.approx(SECONDS_PER_DAY * 1.4**2 / (2 * C * C), rel=1e-15)
    assert walk == pytest.approx(9.42e-13, rel=1e-3)
    gps = time_dilation_difference(SECONDS_PER_DAY, 3873.8)
    assert gps == pytest.approx(7.21e-6, rel=1e-3)


def test_muon_lifetime_in_cern_storage_ring() -> None:
    # Bailey et al., Nature 268 (1977) 301: gamma = 29.33 muons live 64.4 us in the lab,
    # against the 2.197 us rest lifetime.
    v = speed_from_lorentz_factor(29.33)
    lab_lifetime = dilated_duration(2.197e-6, v)
    assert lab_lifetime == pytest.approx(64.4e-6, rel=2e-3)
    assert time_dilation(lab_lifetime, v) == pytest.approx(2.197e-6, rel=1e-14)


def test_velocity_addition_exact_cases() -> None:
    assert velocity_addition(0.5 * C, 0.5 * C) == pytest.approx(0.8 * C, rel=1e-15)
    assert velocity_addition(0.6 * C, -0.6 * C) == 0.0
    assert velocity_addition(3.0, 4.0) == pytest.approx(7.0, rel=1e-15)


@pytest.mark.parametrize(
    ("u", "v"), [(1.0, 2.0), (0.9 * C, 0.9 * C), (-0.3 * C, 0.7 * C), (0.999 * C, 1e4)]
)
def test_velocity_addition_matches_mpmath(u: float, v: float) -> None:
    mu, mv, mc = mp.mpf(u), mp.mpf(v), mp.mpf(C)
    assert rel(velocity_addition(u, v), (mu + mv) / (1 + mu * mv / mc**2)) <= REL


betas = st.floats(min_value=-(1 - 1e-6), max_value=1 - 1e-6, allow_nan=False)


@given(betas, betas)
def test_velocity_addition_stays_below_c(bu: float, bv: float) -> None:
    w = velocity_addition(bu * C, bv * C)
    assert abs(w) < C


@given(betas, betas)
def test_rapidities_add_under_composition(bu: float, bv: float) -> None:
    # Compare velocities: near c the rapidity of a rounded velocity is ill-conditioned
    # (d phi / dv = gamma^2 / c), the velocity itself is not.
    u, v = bu * C, bv * C
    total = rapidity(u) + rapidity(v)
    assert velocity_addition(u, v) == pytest.approx(C * math.tanh(total), rel=1e-12, abs=1e-6)


@given(st.floats(min_value=-0.9, max_value=0.9), st.floats(min_value=-0.9, max_value=0.9))
def test_rapidity_of_composition_is_sum_for_moderate_speeds(bu: float, bv: float) -> None:
    u, v = bu * C, bv * C
    total = rapidity(u) + rapidity(v)
    assert rapidity(velocity_addition(u, v)) == pytest.approx(total, rel=1e-12, abs=1e-15)


def test_velocity_addition_refuses_result_that_rounds_to_c() -> None:
    u = C * (1 - 1e-10)
    with pytest.raises(RelativityDomainError, match="rounds to"):
        velocity_addition(u, u)


def test_doppler_factors() -> None:
    # beta = 0.6: sqrt(1.6/0.4) = 2 exactly.
    assert longitudinal_doppler_factor(0.6 * C, approaching=True) == pytest.approx(2.0, rel=1e-15)
    assert longitudinal_doppler_factor(0.6 * C, approaching=False) == pytest.approx(0.5, rel=1e-15)
    assert doppler_factor(0.6 * C, 0.0) == pytest.approx(2.0, rel=1e-15)
    assert doppler_factor(0.6 * C, math.pi) == pytest.approx(0.5, rel=1e-15)
    assert doppler_factor(0.6 * C, math.pi / 2) == pytest.approx(0.8, rel=1e-15)
    assert transverse_doppler_factor(0.6 * C) == pytest.approx(0.8, rel=1e-15)
    assert transverse_doppler_factor(0.6 * C, closest_approach_seen_by="source") == pytest.approx(
        1.25, rel=1e-15
    )


@pytest.mark.parametrize("v", SPEEDS)
@pytest.mark.parametrize("angle", [0.0, 0.3, math.pi / 2, 2.0, math.pi])
def test_doppler_factor_matches_mpmath(v: float, angle: float) -> None:
    b = mp.mpf(v) / mp.mpf(C)
    ref = mp.sqrt(1 - b * b) / (1 - b * mp.cos(mp.mpf(angle)))
    assert rel(doppler_factor(v, angle), ref) <= REL
    if angle == 0.0:
        assert rel(longitudinal_doppler_factor(v, approaching=True), ref) <= REL


@pytest.mark.parametrize("v", SPEEDS)
def test_energy_and_momentum_match_mpmath(v: float) -> None:
    m = 9.109_383_7015e-31  # electron (CODATA 2018)
    g = mp_gamma(v)
    mc2 = mp.mpf(m) * mp.mpf(C) ** 2
    assert rel(kinetic_energy(m, v), mc2 * (g - 1)) <= REL
    assert rel(total_energy(m, v), mc2 * g) <= REL
    assert rel(momentum(m, v), g * mp.mpf(m) * mp.mpf(v)) <= REL
    assert rel(momentum(m, -v), -g * mp.mpf(m) * mp.mpf(v)) <= REL


def test_kinetic_energy_classical_limit() -> None:
    assert kinetic_energy(1.0, 1.0) == pytest.approx(0.5, rel=1e-15)


def test_kinematics_summary_is_json_ready() -> None:
    k = kinematics(0.6 * C, mass=1.0)
    assert k.gamma == pytest.approx(1.25, rel=1e-15)
    data = json.loads(json.dumps(k.to_dict()))
    assert data["doppler_approaching"] == pytest.approx(2.0)
    assert "gamma" in k.describe()
    assert kinematics(1.0).kinetic_energy is None


NAN = float("nan")
INF = float("inf")


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: lorentz_factor(C), "below the speed of light"),
        (lambda: lorentz_factor(C * 1.5), "below the speed of light"),
        (lambda: lorentz_factor(-1.0), "is a speed"),
        (lambda: lorentz_factor(NAN), "finite"),
        (lambda: lorentz_factor(INF), "finite"),
        (lambda: lorentz_factor(True), "real number"),
        (lambda: gamma_minus_one(-3.0), "is a speed"),
        (lambda: rapidity(-C), "-c < v < c"),
        (lambda: time_dilation(-1.0, 10.0), "duration >= 0"),
        (lambda: time_dilation(1.0, C), "below the speed of light"),
        (lambda: time_dilation_difference(NAN, 1.0), "finite"),
        (lambda: dilated_duration(-1e-6, 1.0), "duration >= 0"),
        (lambda: length_contraction(-1.0, 1.0), ">= 0 m"),
        (lambda: velocity_addition(C, 0.0), "-c < v < c"),
        (lambda: longitudinal_doppler_factor(-1.0, approaching=True), "is a speed"),
        (lambda: transverse_doppler_factor(1.0, closest_approach_seen_by="x"), "receiver"),  # type: ignore[arg-type]
        (lambda: doppler_factor(1.0, INF), "finite"),
        (lambda: kinetic_energy(0.0, 1.0), "mass must be > 0"),
        (lambda: momentum(-1.0, 1.0), "mass must be > 0"),
        (lambda: speed_from_lorentz_factor(0.5), "gamma must be >= 1"),
        (lambda: speed_from_lorentz_factor(1e20), "rounds to"),
        (lambda: velocity_from_rapidity(40.0), "rounds to"),
    ],
)
def test_domain_errors_name_value_and_rule(call: object, fragment: str) -> None:
    with pytest.raises(RelativityDomainError, match=fragment):
        call()  # type: ignore[operator]


def test_domain_error_message_repeats_the_value() -> None:
    with pytest.raises(RelativityDomainError, match=r"300000000\.0") as info:
        lorentz_factor(3e8)
    assert isinstance(info.value, ValueError)


def test_velocity_addition_opposite_near_c_keeps_precision() -> None:
    # Found by hypothesis: 1 + u v / c^2 = 1e-5 here, and the naive form lost ~2e-12.
    u, v = 0.99999 * C, -0.9999989999999999 * C
    mu, mv, mc = mp.mpf(u), mp.mpf(v), mp.mpf(C)
    with mp.workdps(50):
        ref = (mu + mv) / (1 + mu * mv / mc**2)
    assert rel(velocity_addition(u, v), ref) <= 1e-15
