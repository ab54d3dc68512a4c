"""The command line, run in-process (no subprocess, so it also runs under Pyodide)."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from qtcore.cli import main

LIBRARY = str(Path(__file__).resolve().parents[2] / "scenarios")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_rel_gamma_json_matches_formula() -> None:
    code, out, err = run("rel", "gamma", "0.6c", "--json")
    assert code == 0, err
    assert json.loads(out)["result"]["gamma"] == pytest.approx(1.25, rel=1e-15)


def test_rel_gps_redshift_and_table() -> None:
    code, out, _ = run("rel", "gps", "--altitude", "20200km", "--json")
    assert code == 0
    assert json.loads(out)["result"]["net_us_per_day"] == pytest.approx(38.5, abs=0.1)
    code, out, _ = run("rel", "redshift", "--height", "22.5m", "--json")
    # Pound-Rebka: g h / c^2 with g = GM/R^2 at Earth's mean radius
    g = 3.986004e14 / 6_371_008.8**2
    shift = json.loads(out)["result"]["fractional_frequency_shift"]
    assert shift == pytest.approx(g * 22.5 / 299_792_458.0**2, rel=1e-8)
    code, out, _ = run("rel", "dilation", "--speed", "0.6c", "--duration", "10 s")
    assert code == 0 and "proper_duration" in out and "8.0" in out


def test_rel_twin() -> None:
    code, out, _ = run("rel", "twin", "--speed", "0.8c", "--half", "5 yr", "--json")
    assert code == 0
    assert json.loads(out)["result"]["proper_time"] == pytest.approx(6 * 365.25 * 86400, rel=1e-12)


def test_user_errors_exit_2_without_traceback() -> None:
    code, _, err = run("rel", "gamma", "1.2c")
    assert code == 2 and "speed" in err and "Traceback" not in err
    code, _, err = run("rel", "gamma", "fast")
    assert code == 2 and "fast" in err
    code, _, err = run("run", "does-not-exist.toml", "--library", LIBRARY)
    assert code == 2 and "does-not-exist.toml" in err
    code, _, err = run("run", "bell", "--kernel", "gpu", "--library", LIBRARY)
    assert code == 2 and "gpu" in err
    code, _, err = run("frobnicate")
    assert code == 2


def test_run_qasm_and_qasm_error_position(tmp_path: Path) -> None:
    good = tmp_path / "bell.qasm"
    good.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        "h q[0];\ncx q[0], q[1];\nmeasure q -> c;\n"
    )
    code, out, err = run(
        "run", str(good), "--shots", "100", "--seed", "3", "--kernel", "python", "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert sum(data["result"]["counts"].values()) == 100
    assert set(data["result"]["counts"]) <= {"00", "11"}
    assert data["provenance"]["kernel"] == "python"
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0] q[1];\n')
    code, _, err = run("run", str(bad))
    assert code == 2
    assert f"{bad}:4:" in err and "Traceback" not in err


def test_run_library_scenario_table_and_json() -> None:
    code, out, err = run("run", "bell", "--library", LIBRARY, "--kernel", "python")
    assert code == 0, err
    assert "PASS" in out and "FAIL" not in out
    code, out, _ = run("run", os.path.join(LIBRARY, "gps_clock.toml"), "--format", "json")
    data = json.loads(out)
    assert data["passed"] and data["provenance"]["scenario_hash"].startswith("sha256:")


def test_run_reports_failed_checks_with_exit_1(tmp_path: Path) -> None:
    f = tmp_path / "wrong.toml"
    f.write_text(
        'name = "w"\ntitle = "w"\nkind = "relativity"\n[relativity]\n'
        'calculator = "gamma"\nspeed = "0.6c"\n[[expected]]\ncheck = "value"\n'
        'path = "gamma"\nvalue = 1.3\n'
    )
    code, out, err = run("run", str(f))
    assert code == 1 and "FAIL" in out and "1 expected check(s) failed" in err


def test_sweep_csv_json_and_progress(tmp_path: Path) -> None:
    code, out, err = run(
        "sweep",
        "lorentz_factor",
        "--library",
        LIBRARY,
        "--param",
        "relativity.speed=0:2e8:5",
        "--format",
        "csv",
        "--progress",
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("index,seed,relativity.speed,")
    assert len(lines) == 6
    assert "5/5" in err
    target = tmp_path / "out.json"
    code, _, _ = run("sweep", "sweep_gps_altitude", "--library", LIBRARY, "-o", str(target))
    data = json.loads(target.read_text())
    assert code == 0 and data["passed"] and data["outputs"]["table"]["done"] == 9
    code, _, err = run("sweep", "bell", "--library", LIBRARY, "--param", "x=1:2")
    assert code == 2 and "start:stop:num" in err
    code, _, err = run("sweep", "bell", "--library", LIBRARY)
    assert code == 2 and "not a sweep" in err
    # a misspelt or unread parameter sweeps nothing: refused, with what to sweep instead
    code, out, err = run(
        "sweep", "sweep_rotation_angle", "--library", LIBRARY, "--param", "thta=0:1:3"
    )
    assert code == 2 and out == "" and "no parameter 'thta' (did you mean 'theta'?)" in err
    code, out, err = run("sweep", "gps_clock", "--library", LIBRARY, "--param", "altitude=1e6,2e6")
    assert code == 2 and "relativity.orbit_radius" in err and "Traceback" not in err
    # from theta = 0, where outcome 1 never occurs: P(1) = sin^2(theta / 2) = 0
    code, out, err = run(
        "sweep", "sweep_rotation_angle", "--library", LIBRARY, "--param", "theta=0:3:3",
        "--format", "csv",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines()[1].endswith(",0.0,0.0")


def test_scenarios_and_gates_lists() -> None:
    code, out, _ = run("scenarios", "--library", LIBRARY, "--json")
    names = {row["name"] for row in json.loads(out)}
    assert {"bell", "gps_clock", "sweep_gps_altitude"} <= names
    code, out, _ = run("gates", "--json")
    gates = {row["name"]: row for row in json.loads(out)}
    assert gates["cx"]["num_controls"] == 1 and gates["cx"]["qasm2"] == "cx"
    code, out, _ = run("gates")
    assert code == 0 and "rx(theta)" in out


def test_rel_clock_moving_in_a_field() -> None:
    code, out, err = run("rel", "clock", "--r", "6771 km", "--v", "7.66 km/s", "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    # 1 - sqrt(1 - r_s/r - v^2/c^2) to first order: GM/(r c^2) + v^2/(2 c^2)
    c2 = 299_792_458.0**2
    first = 3.986004e14 / (6.771e6 * c2) + 7660.0**2 / (2 * c2)
    assert res["deficit"] == pytest.approx(first, rel=1e-8)
    assert res["speed"] == 7660.0 and res["radius"] == 6.771e6


def test_rel_clock_on_the_rotating_earth_and_errors() -> None:
    code, out, err = run("rel", "clock", "--latitude", "0", "--duration", "1 day", "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    assert res["rotation_speed"] == pytest.approx(465.1, abs=0.1)
    assert res["seconds_lost"] == pytest.approx(res["deficit"] * 86400.0, rel=1e-15)
    code, _, err = run("rel", "clock", "--r", "6371 km", "--v", "1c")
    assert code == 2 and "v^2 < c^2 (1 - r_s/r)" in err and "Traceback" not in err
    code, _, err = run("rel", "clock", "--r", "7000 km", "--latitude", "3")
    assert code == 2 and "latitude_deg" in err


def test_rel_redshift_to_infinity() -> None:
    code, out, err = run("rel", "redshift", "--body", "sun", "--to-infinity", "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    assert res["receiver_at_infinity"] is True and res["receiver_radius"] is None
    # z = 1/sqrt(1 - r_s/R) - 1 = 2.1225093e-6 for the IAU nominal Sun: 636.3 m/s
    assert res["velocity_equivalent"] == pytest.approx(636.31, abs=0.01)


def test_rel_hafele_keating() -> None:
    code, out, err = run("rel", "hafele-keating", "--direction", "east", "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    assert set(res) == {"east", "source"}
    east = res["east"]
    assert east["net_ns"] == pytest.approx(east["curve_ns"][-1], rel=1e-15)
    assert east["published"]["measured_net_ns"] == {"value": -59.0, "uncertainty": 10.0}
    code, _, err = run("rel", "hafele-keating", "--direction", "north")
    assert code == 2 and "east" in err


def test_rel_kepler_and_galileo() -> None:
    code, out, err = run("rel", "kepler", "--a", "26561.75 km", "--e", "0.01", "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    assert res["eccentricity_peak_to_peak_ns"] == pytest.approx(45.795, abs=0.001)
    code, _, err = run("rel", "kepler", "--a", "26561.75 km", "--e", "1")
    assert code == 2 and "0 <= e < 1" in err
    code, out, err = run("rel", "galileo", "--json")
    assert code == 0, err
    assert json.loads(out)["result"]["published"]["delva_2018"]["uncertainty"] == 2.48e-5


@pytest.mark.parametrize(
    ("calc", "expected", "tol"),
    [
        ("perihelion", 42.98, 0.005),
        ("deflection", 1.7512, 5e-5),
        ("gravity-probe-b", 6606.1, 5.0),
    ],
)
def test_rel_classic_tests(calc: str, expected: float, tol: float) -> None:
    code, out, err = run("rel", calc, "--json")
    assert code == 0, err
    res = json.loads(out)["result"]
    assert res["value"] == pytest.approx(expected, abs=tol)
    assert res["published"]


def test_rel_classic_tests_reject_bad_input() -> None:
    code, _, err = run("rel", "perihelion", "--e", "1.5")
    assert code == 2 and "0 <= e < 1" in err
    code, _, err = run("rel", "shapiro", "--b", "3 AU")
    assert code == 2 and "closest approach" in err
    code, _, err = run("rel", "deflection", "--b", "-1 m")
    assert code == 2 and "impact_parameter" in err
