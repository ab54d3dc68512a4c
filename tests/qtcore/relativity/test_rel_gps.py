"""GPS clock offsets against published values and a 50-digit re-derivation."""

from __future__ import annotations

import json

import mpmath as mp
import pytest

from qtcore.errors import RelativityDomainError
from qtcore.relativity import EARTH, GPS_ORBIT_RADIUS, SPEED_OF_LIGHT, gps_clock_offsets

REL = 1e-12
US_PER_DAY = 86_400e6


def rel(x: float, ref: mp.mpf) -> float:
    return float(abs((mp.mpf(x) - ref) / ref))


def reference(
    r_sat: float, latitude: float | None = None, j2: bool = False
) -> tuple[mp.mpf, mp.mpf, mp.mpf]:
    """(sr, gr, net) from the rates sqrt(1 - 2U/c^2 - v^2/c^2), all at 50 digits."""
    c2 = mp.mpf(SPEED_OF_LIGHT) ** 2
    gm = mp.mpf(EARTH.gm)
    rs = mp.mpf(r_sat)
    if latitude is None:
        rg, v2g, j2_term = mp.mpf(EARTH.radius), mp.mpf(0), mp.mpf(0)
    else:
        a, b = mp.mpf(EARTH.equatorial_radius), mp.mpf(EARTH.polar_radius)
        phi = mp.radians(latitude)
        e2 = 1 - (b / a) ** 2
        n = a / mp.sqrt(1 - e2 * mp.sin(phi) ** 2)
        rho, z = n * mp.cos(phi), n * (1 - e2) * mp.sin(phi)
        rg = mp.sqrt(rho**2 + z**2)
        v2g = (mp.mpf(EARTH.angular_velocity) * rho) ** 2
        sin_psi = z / rg
        j2_term = mp.mpf(EARTH.j2) * (a / rg) ** 2 * (3 * sin_psi**2 - 1) / 2 if j2 else 0
    u_sat, u_g = gm / rs, gm / rg * (1 - j2_term)
    static_sat, static_g = mp.sqrt(1 - 2 * u_sat / c2), mp.sqrt(1 - 2 * u_g / c2)
    moving_sat = mp.sqrt(1 - 2 * u_sat / c2 - (gm / rs) / c2)
    moving_g = mp.sqrt(1 - 2 * u_g / c2 - v2g / c2)
    sr = (moving_sat / static_sat) / (moving_g / static_g) - 1
    gr = static_sat / static_g - 1
    net = moving_sat / moving_g - 1
    return sr, gr, net


def test_gps_matches_published_values() -> None:
    # Published (e.g. Ashby, Physics Today 55(5) 41 (2002); textbooks): SR -7.2 us/day,
    # GR +45.7 us/day, net +38.5 us/day for a = 26 561.75 km against a non-rotating clock
    # on the mean-radius Earth. Quoted to 0.1 us/day, hence tolerance 0.05 us/day.
    r = gps_clock_offsets()
    assert r.orbit_radius == GPS_ORBIT_RADIUS
    assert r.sr_us_per_day == pytest.approx(-7.2, abs=0.05)
    assert r.gr_us_per_day == pytest.approx(45.7, abs=0.05)
    assert r.net_us_per_day == pytest.approx(38.5, abs=0.05)
    assert r.orbital_speed == pytest.approx(3873.8, abs=0.1)


def test_gps_on_the_rotating_geoid_matches_ashby() -> None:
    # Ashby, Living Rev. Relativ. 6 (2003) 1, eq. 35: the factory offset of GPS clocks is
    # -4.4647e-10, i.e. the orbiting clock runs fast by 4.4647e-10 against the geoid.
    r = gps_clock_offsets(latitude_deg=0.0, include_j2=True)
    assert r.net_fractional == pytest.approx(4.4647e-10, rel=1e-4)
    assert r.ground_speed == pytest.approx(465.1, abs=0.1)


def test_ground_clocks_on_the_geoid_agree_at_all_latitudes() -> None:
    # Rotation + J2 make the ellipsoid (nearly) an equipotential: clocks there tick alike.
    nets = [
        gps_clock_offsets(latitude_deg=lat, include_j2=True).net_us_per_day
        for lat in (0.0, 30.0, 60.0, 90.0)
    ]
    assert max(nets) - min(nets) < 2e-3
    # Without J2 the pole and the equator differ by ~0.1 us/day.
    eq = gps_clock_offsets(latitude_deg=0.0).net_us_per_day
    pole = gps_clock_offsets(latitude_deg=90.0).net_us_per_day
    assert abs(eq - pole) > 0.05


@pytest.mark.parametrize(
    ("r_sat", "latitude", "j2"),
    [
        (GPS_ORBIT_RADIUS, None, False),
        (6_778e3, None, False),  # ISS-like low orbit: SR dominates, net negative
        (42_164e3, None, False),  # geostationary
        (GPS_ORBIT_RADIUS, 0.0, False),
        (GPS_ORBIT_RADIUS, 45.0, False),
        (GPS_ORBIT_RADIUS, -33.9, True),
        (GPS_ORBIT_RADIUS, 90.0, True),
    ],
)
def test_gps_matches_mpmath(r_sat: float, latitude: float | None, j2: bool) -> None:
    r = gps_clock_offsets(r_sat, latitude_deg=latitude, include_j2=j2)
    sr, gr, net = reference(r_sat, latitude, j2)
    assert rel(r.sr_fractional, sr) <= REL
    assert rel(r.gr_fractional, gr) <= REL
    assert rel(r.net_fractional, net) <= REL
    assert rel(r.net_us_per_day, net * US_PER_DAY) <= REL
    assert (1 + r.sr_fractional) * (1 + r.gr_fractional) - 1 == pytest.approx(
        r.net_fractional, rel=1e-6
    )
    # First-order (weak-field) estimates agree to O(GM/rc^2) ~ 1e-9 relative.
    assert r.weak_field_sr_us_per_day == pytest.approx(r.sr_us_per_day, rel=1e-8)
    assert r.weak_field_gr_us_per_day == pytest.approx(r.gr_us_per_day, rel=1e-8)


def test_low_orbit_clock_runs_slow() -> None:
    assert gps_clock_offsets(altitude=400e3).net_us_per_day < 0


def test_altitude_is_above_mean_radius_and_result_is_json_ready() -> None:
    r = gps_clock_offsets(altitude=20_200e3)
    assert r.orbit_radius == pytest.approx(EARTH.radius + 20_200e3, rel=1e-15)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["latitude_deg"] is None
    assert "us/day" in r.describe()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"orbit_radius": 2e7, "altitude": 1e6}, "not both"),
        ({"orbit_radius": 6e6}, "below the surface"),
        ({"orbit_radius": -1.0}, "> 0"),
        ({"orbit_radius": float("nan")}, "finite"),
        ({"altitude": -5.0}, "altitude must be > 0"),
        ({"latitude_deg": 91.0}, r"\[-90, 90\]"),
        ({"include_j2": True}, "needs latitude_deg"),
        ({"latitude_deg": 10.0, "ground_radius": 6.4e6}, "exclusive"),
        ({"ground_radius": 0.0}, "> 0"),
    ],
)
def test_gps_domain_errors(kwargs: dict[str, float], fragment: str) -> None:
    with pytest.raises(RelativityDomainError, match=fragment):
        gps_clock_offsets(**kwargs)  # type: ignore[arg-type]
