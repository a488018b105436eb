"""method = "sensitivity": central differences with paired replicas recover a known linear response
exactly, step one-sided at a bound, run every distinct point once, and the CLI refuses to write a
calibrated protocol for it. One real scan on a tiny film checks that the change of a target over a
step has the sign the physics demands (a lower hop barrier extracts more N)."""

import numpy as np
import pytest
from click.testing import CliRunner

from kmc.calibration.calibrate import calibrate
from kmc.calibration.evaluate import Evaluation
from kmc.calibration.parse import from_dict
from kmc.calibration.sensitivity import paired_difference
from kmc.cli import main

#: target i = Σ_j A[i, j] · g_j(p_j) + replica noise shared by every point (common random numbers)
A = np.array([[3.0, -2.0], [0.5, 7.0]])
NOISE = np.array([[1.0, -4.0, 2.5, 0.3], [-2.0, 0.0, 5.0, 1.0]])


def spec(barrier_start=0.75):
    return from_dict({"title": "linear", "base": "quick", "replicas": 4, "seed": 1, "method": "sensitivity",
                      "diff_step": 0.25,
                      "parameters": {"hops.barrier_ev": {"start": barrier_start, "lower": 0.7, "upper": 0.8},
                                     "field.film_voltage_fraction": {"start": 0.1, "lower": 0.05, "upper": 0.2,
                                                                     "scale": "log"}},
                      "targets": [{"name": "a", "quantity": "n_electrolyte_final", "value": 1.0, "sigma": 1.0},
                                  {"name": "b", "quantity": "final_n_film_fraction", "value": 1.0, "sigma": 1.0}]})


def linear_evaluator(calls):
    def evaluate(batch):
        out = []
        for p in batch:
            calls.append(tuple(p))
            clean = A @ np.array([p[0], np.log(p[1])])
            values = clean[:, None] + NOISE
            out.append(Evaluation(np.asarray(p, float), values.mean(axis=1), values.std(axis=1, ddof=1) / 2,
                                  np.full(2, 4), 4, 60.0, values))
        return out
    return evaluate


def test_central_differences_with_paired_replicas_recover_a_linear_response(tmp_path):
    calls = []
    res = calibrate(spec(), tmp_path / "s.zarr", evaluate=linear_evaluator(calls))
    assert len(calls) == 5 and res.evaluations == 5
    np.testing.assert_allclose(res.p_minus, [0.725, 0.1 / 2 ** 0.5])
    np.testing.assert_allclose(res.p_plus, [0.775, 0.1 * 2 ** 0.5])
    step = np.array([0.05, np.log(2.0)])
    np.testing.assert_allclose(res.delta, A * step[None, :], atol=1e-12)
    np.testing.assert_allclose(res.delta_se, 0.0, atol=1e-12)  # the shared noise cancels pair by pair
    np.testing.assert_allclose(res.dlnp[:, 1], A[:, 1], rtol=1e-12)
    np.testing.assert_allclose(res.start.mean, A @ [0.75, np.log(0.1)] + NOISE.mean(axis=1))
    at = lambda p: A @ [p[0], np.log(p[1])] + NOISE.mean(axis=1)  # noqa: E731
    np.testing.assert_allclose(res.at_minus[:, 0, 0], at([0.725, 0.1]))
    np.testing.assert_allclose(res.at_plus[:, 1, 0], at([0.75, 0.1 * 2 ** 0.5]))
    assert res.core_hours == pytest.approx(5 * 60 / 3600)
    d = res.to_dict()
    assert d["method"] == "sensitivity" and d["parameters"]["hops.barrier_ev"]["plus"] == pytest.approx(0.775)
    assert "± 0" in res.table()


def test_a_start_on_its_bound_steps_one_way_and_runs_the_start_once(tmp_path):
    calls = []
    res = calibrate(spec(barrier_start=0.8), tmp_path / "s.zarr", evaluate=linear_evaluator(calls))
    assert res.p_minus[0] == pytest.approx(0.775) and res.p_plus[0] == pytest.approx(0.8)
    assert len(calls) == len(set(calls)) == 4
    np.testing.assert_allclose(res.delta[:, 0], A[:, 0] * 0.025, atol=1e-12)


def test_paired_difference_uses_replicas_complete_at_both_points():
    m, se = paired_difference(np.array([1.0, 2.0, np.nan, 7.0]), np.array([0.0, 0.0, 3.0, 1.0]))
    d = np.array([1.0, 2.0, 6.0])
    assert m == pytest.approx(d.mean()) and se == pytest.approx(d.std(ddof=1) / np.sqrt(3))


def test_cli_refuses_to_write_a_config_for_a_scan(tmp_path):
    path = tmp_path / "scan.toml"
    path.write_text('base = "quick"\nmethod = "sensitivity"\n[parameters]\n'
                    '"hops.barrier_ev" = { start = 0.75, lower = 0.7, upper = 0.8 }\n'
                    '[[targets]]\nquantity = "n_electrolyte_final"\nvalue = 1.0\nsigma = 1.0\n')
    r = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(tmp_path / "o.zarr"),
                                 "--write-config", str(tmp_path / "c.toml"), "--no-mpi"])
    assert r.exit_code == 2 and "fits nothing" in r.output
    assert not (tmp_path / "o.zarr").exists()


def test_a_real_scan_on_a_tiny_film_gives_the_sign_physics_demands(tmp_path):
    """Raising the hop barrier slows transport, so less N reaches the electrolyte; replicas paired."""
    cal = from_dict({"title": "tiny", "base": "quick", "replicas": 2, "seed": 3, "method": "sensitivity",
                     "diff_step": 0.25,
                     "set": {"lattice.thickness_nm": 3.0, "lattice.cells_xy": [2, 2], "segments.0.duration": "20 s",
                             "segments.1.duration": "10 s", "boundary.escape_time_s": 0.0},
                     "parameters": {"hops.barrier_ev": {"start": 0.78, "lower": 0.70, "upper": 0.86}},
                     "targets": [{"name": "n_el", "array": "n_electrolyte", "segment": 0, "at": "end",
                                  "value": 1.0, "sigma": 1.0}]})
    res = calibrate(cal, tmp_path / "tiny.zarr")
    assert res.evaluations == 3 and res.replicas_run == 6
    assert res.delta[0, 0] < 0 and np.isfinite(res.delta_se[0, 0])
    assert res.start.replica_values.shape == (1, 2)
